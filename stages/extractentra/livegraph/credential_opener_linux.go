package livegraph

import (
	"os"
	"os/exec"
)

// browserOpener returns the program github.com/pkg/browser runs on Linux
// to open the sign-in page (the first of xdg-open, x-www-browser and
// www-browser on PATH), or says why no browser can open here.
func browserOpener() (string, error) {
	for _, p := range []string{"xdg-open", "x-www-browser", "www-browser"} {
		if _, err := exec.LookPath(p); err != nil {
			continue
		}
		// Without a display xdg-open falls back to text-mode browsers,
		// which cannot run Entra ID's sign-in. A browser named in
		// $BROWSER, and WSL's (wslview), open without one.
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("BROWSER") == "" && os.Getenv("WSL_DISTRO_NAME") == "" {
			return "", noBrowser("there is no desktop session (DISPLAY and WAYLAND_DISPLAY are not set)")
		}
		return p, nil
	}
	return "", noBrowser("none of xdg-open, x-www-browser and www-browser is installed")
}
