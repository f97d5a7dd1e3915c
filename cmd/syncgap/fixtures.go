package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"syncgap/fixtures/graphserver"
	"syncgap/fixtures/tenantgen"
)

func newFixturesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fixtures",
		Short: "Test data: synthetic tenants with ground truth",
		Example: `  syncgap fixtures generate --users 1000 --seed 1 --out /tmp/tenant
  syncgap fixtures serve-graph --data /tmp/tenant --addr 127.0.0.1:8443`,
	}
	var users int
	var seed int64
	var out string
	gen := &cobra.Command{
		Use:   "generate --users N --seed S --out DIR",
		Short: "Write a synthetic hybrid tenant: LDIF, Graph pages, MSOnline CSV, tenant features, truth.csv",
		Long: `generate writes a deterministic synthetic tenant of N users into DIR:
ad.ldif (ldapsearch style), graph/ (Graph REST page files), msol.csv (the cloud
AlternateMobilePhones), tenant-features.json and truth.csv, the expected
match_status, mobile_state, other_mobile_state and effect of every joined row.
The same N and S always give byte-identical files.`,
		Example: `  syncgap fixtures generate --users 50000 --seed 7 --out /tmp/t50k
  syncgap audit --ldif /tmp/t50k/ad.ldif --export /tmp/t50k/graph --export /tmp/t50k/msol.csv \
      --tenant-features /tmp/t50k/tenant-features.json --out /tmp/t50k/snap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users <= 0 {
				return fmt.Errorf("--users must be positive")
			}
			s, err := tenantgen.Generate(tenantgen.Config{Users: users, Seed: seed}, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d AD users, %d cloud users, %d truth rows\n", out, s.ADUsers, s.CloudUsers, s.TruthRows)
			return nil
		},
	}
	gen.Flags().IntVar(&users, "users", 1000, "number of people in the tenant")
	gen.Flags().Int64Var(&seed, "seed", 1, "random seed")
	gen.Flags().StringVar(&out, "out", "", "directory to write (required)")
	gen.MarkFlagRequired("out")
	cmd.AddCommand(gen, newServeGraphCmd())
	return cmd
}

func newServeGraphCmd() *cobra.Command {
	var data, addr, token, caOut, clientID, secretEnv string
	var useTLS bool
	var cfg graphserver.Config
	cmd := &cobra.Command{
		Use:   "serve-graph --data DIR --addr 127.0.0.1:PORT",
		Short: "Serve a generated tenant the way Microsoft Graph does, to try --graph without a tenant",
		Long: `serve-graph serves the tenant in DIR (written by 'fixtures generate': the
graph/ page files and tenant-features.json) as Microsoft Graph would:
/v1.0/users with $select and $top (1-999), absolute @odata.nextLink pages,
/v1.0/directory/onPremisesSynchronization (GET, and PATCH of the features),
a bearer token on every request, and Graph's error bodies. It prints the
endpoint and the token to use, and runs until interrupted.

The fault flags make it misbehave as Graph does under load: 429 with
Retry-After, 503, pages cut mid-stream, slow pages, 403 on the features.
With --tls it serves a self-signed certificate and writes the CA to trust
(--graph-ca-file). With --client-id and --client-secret-env it also answers
azidentity's sign-in as Entra ID would (give --authority-host the same URL).`,
		Example: `  syncgap fixtures generate --users 5000 --out /tmp/t5k
  syncgap fixtures serve-graph --data /tmp/t5k --addr 127.0.0.1:8443 --throttle-rate 0.2 --retry-after 0.5
  # in another shell, with the token it printed:
  SYNCGAP_GRAPH_TOKEN=… syncgap extract-entra --graph --graph-endpoint http://127.0.0.1:8443 \
      --access-token-env SYNCGAP_GRAPH_TOKEN --export /tmp/t5k/msol.csv --out /tmp/t5k/snap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := graphserver.Load(data)
			if err != nil {
				return err
			}
			if token == "" {
				var b [16]byte
				rand.Read(b[:])
				token = "test-" + hex.EncodeToString(b[:])
			}
			cfg.Token = token
			if secretEnv != "" {
				if cfg.ClientSecret, err = secretFromEnv("client-secret-env", secretEnv, true); err != nil {
					return err
				}
			}
			cfg.ClientID = clientID
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			hs := &http.Server{Handler: graphserver.New(d, cfg), ReadHeaderTimeout: 30 * time.Second}
			scheme := "http"
			if useTLS {
				host, _, _ := net.SplitHostPort(ln.Addr().String())
				cert, pem, err := graphserver.SelfSigned(host, "localhost")
				if err != nil {
					return err
				}
				if caOut == "" {
					caOut = filepath.Join(os.TempDir(), "syncgap-graph-ca.pem")
				}
				if err := os.WriteFile(caOut, pem, 0o644); err != nil {
					return err
				}
				hs.TLSConfig = tlsConfig(cert)
				scheme = "https"
			}
			endpoint := scheme + "://" + ln.Addr().String()
			// Plain lines: the benchmark reads the endpoint and token from them.
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "serving %d users from %s\nendpoint: %s\ntoken: %s\n", len(d.Users), data, endpoint, token)
			if useTLS {
				fmt.Fprintf(out, "ca-file: %s\n", caOut)
			}
			fmt.Fprintf(out, "try: SYNCGAP_GRAPH_TOKEN=%s syncgap extract-entra --graph --graph-endpoint %s --access-token-env SYNCGAP_GRAPH_TOKEN", token, endpoint)
			if useTLS {
				fmt.Fprintf(out, " --graph-ca-file %s", caOut)
			}
			fmt.Fprintln(out, " --out snap/")
			go func() {
				<-cmd.Context().Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hs.Shutdown(ctx)
			}()
			if useTLS {
				err = hs.ServeTLS(ln, "", "")
			} else {
				err = hs.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				slog.Info("graph test server stopped")
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "tenant directory written by 'fixtures generate' (required)")
	f.StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	f.StringVar(&token, "token", "", "bearer token to accept (default: a random one, printed)")
	f.BoolVar(&useTLS, "tls", false, "serve HTTPS with a self-signed certificate")
	f.StringVar(&caOut, "ca-out", "", "where --tls writes the CA certificate (default: in the temp directory)")
	f.StringVar(&clientID, "client-id", "", "client id the fake sign-in accepts")
	f.StringVar(&secretEnv, "client-secret-env", "", "name of the environment variable holding the client secret the fake sign-in accepts")
	f.IntVar(&cfg.MaxPageSize, "max-page-size", 0, "largest page served, below $top (0: 999)")
	f.BoolVar(&cfg.Expired, "expired", false, "answer every token as expired (401)")
	f.Float64Var(&cfg.Faults.ThrottleRate, "throttle-rate", 0, "fraction of requests answered 429")
	f.StringVar(&cfg.Faults.RetryAfter, "retry-after", "", `Retry-After of 429/503: seconds ("2", "0.5") or "date" for an HTTP date (default "1")`)
	f.Float64Var(&cfg.Faults.UnavailableRate, "unavailable-rate", 0, "fraction of requests answered 503")
	f.Float64Var(&cfg.Faults.CutRate, "cut-rate", 0, "fraction of user pages cut mid-stream")
	f.Float64Var(&cfg.Faults.SlowRate, "slow-rate", 0, "fraction of user pages delayed by --slow-delay")
	f.DurationVar(&cfg.Faults.SlowDelay, "slow-delay", time.Second, "delay of a slow page")
	f.BoolVar(&cfg.Faults.DenyFeatures, "deny-features", false, "answer onPremisesSynchronization 403 Authorization_RequestDenied")
	f.Int64Var(&cfg.Faults.Seed, "seed", 1, "seed of the fault draws")
	cmd.MarkFlagRequired("data")
	return cmd
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
