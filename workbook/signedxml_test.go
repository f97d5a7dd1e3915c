package workbook

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
)

// scanAll tokenizes doc, reading it a few bytes at a time so that tokens
// cross buffer refills, and returns the tokens in a compact form.
func scanAll(doc string) (string, error) {
	s := newXMLScanner(iotest.HalfReader(strings.NewReader(doc)), 0)
	var out []string
	for {
		tok, err := s.next()
		if err != nil {
			return strings.Join(out, " "), err
		}
		switch tok {
		case tokEOF:
			return strings.Join(out, " "), nil
		case tokStart:
			a := ""
			if v := s.attr("a", false); v != nil {
				a = "[a=" + string(appendXMLText(nil, v)) + "]"
			}
			if v := s.attr("id", true); v != nil {
				a += "[r:id=" + string(v) + "]"
			}
			out = append(out, "<"+string(s.name)+a)
		case tokEnd:
			out = append(out, ">")
		case tokText:
			out = append(out, fmt.Sprintf("%q/%d", appendXMLText(nil, s.text), s.chars))
		case tokCDATA:
			out = append(out, fmt.Sprintf("cdata%q", appendCDATA(nil, s.text)))
		}
	}
}

func TestXMLScannerReads(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`<a/>`, `<a >`},
		{`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<x:a xmlns:x='u'><x:b a=\"1 &gt; 0\"/></x:a>", `<a <b[a=1 > 0] > >`},
		{"\xef\xbb\xbf<?xml version=\"1.0\"?><a/>", `<a >`},
		{`<a b:id="rId1" a='q"'>t&amp;&#x20AC;&#8364;<!-- c -- d? --><?pi x?><![CDATA[<&]]>` + "\r\n" + `</a >`,
			`<a[a=q"][r:id=rId1] "t&€€"/4 cdata"<&" "\n"/2 >`},
		{`<a a="x>y"></a>`, `<a[a=x>y] >`},
		{`<a><!----></a>`, `<a >`},
		{`<a b1="" b2="" b3="" b4="" b5="" b6="" b7="" b8="" b9="" b10="" a="many"/>`, `<a[a=many] >`},
	} {
		got, err := scanAll(tt.doc)
		if err != nil || got != tt.want {
			t.Errorf("%q:\n got %s, %v\nwant %s", tt.doc, got, err, tt.want)
		}
	}
}

func TestXMLScannerRefuses(t *testing.T) {
	many := ""
	for i := range maxXMLAttrs + 1 {
		many += fmt.Sprintf(" a%d=''", i)
	}
	for _, tt := range []struct{ doc, says string }{
		{``, "no root element"},
		{`<a>`, "the document ends inside <a>"},
		{`<a></b>`, "end tag </b> closes <a>"},
		{`</a>`, "end tag </a> closes nothing"},
		{`<a/><b/>`, "a second root element"},
		{`x<a/>`, "text outside the root element"},
		{`<a/>x`, "text outside the root element"},
		{`<a b=c/>`, "an attribute value without quotes"},
		{`<a b/>`, "an attribute without a value"},
		{`<a b="1"c="2"/>`, "attributes not separated by space"},
		{`<a b="1" b="2"/>`, "attribute b given twice"},
		{`<a b1="" b2="" b3="" b4="" b5="" b6="" b7="" b8="" b9="" b3=""/>`, "attribute b3 given twice"},
		{`<a` + many + `/>`, fmt.Sprintf("more than %d attributes", maxXMLAttrs)},
		{`<a b="<"/>`, "'<' in an attribute value"},
		{`<a b="&x;"/>`, "unknown entity &x;"},
		{`<a>&lt</a>`, "& not ending in ;"},
		{`<a>&#0;</a>`, "unknown entity &#0;"},
		{`<a>&#xD800;</a>`, "unknown entity &#xD800;"},
		{"<a>\x00</a>", "control character 0x00"},
		{"<a>\xc3</a>", "not UTF-8"},
		{"<a>\uFFFE</a>", "character U+FFFE"},
		{`<a><![CDATA[x</a>`, "unterminated CDATA section"},
		{`<a><!-- x </a>`, "unterminated comment"},
		{`<a><?pi </a>`, "unterminated processing instruction"},
		{`<!DOCTYPE a><a/>`, "DOCTYPE"},
		{`<a/><?xml version="1.0"?>`, "an XML declaration not at the start"},
		{`<?xml version="1.0" encoding="UTF-16"?><a/>`, `encoded as "UTF-16"`},
		{`<1a/>`, "without a valid name"},
		{`<a/ >`, "junk after / in a tag"},
		{`<a></a x>`, "junk in an end tag"},
		{strings.Repeat("<a>", maxXMLDepth+1), "nested more than"},
		{`<a b="` + strings.Repeat("x", maxXMLToken) + `"/>`, "a tag or text run longer than"},
	} {
		_, err := scanAll(tt.doc)
		if err == nil || !errors.Is(err, errXML) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%.60q: err = %v, want malformed XML saying %q", tt.doc, err, tt.says)
		}
	}
}

// A long text run streams in pieces cut between characters and
// references, never inside one: decoded, it is the whole text.
func TestXMLScannerLongText(t *testing.T) {
	for _, unit := range []string{"&amp;", "€", "a\r\n", "&#x1F600;", "x"} {
		doc := "<a>" + strings.Repeat(unit, 3*textPiece/len(unit)+7) + "</a>"
		s := newXMLScanner(iotest.OneByteReader(strings.NewReader(doc)), 0)
		var text []byte
		pieces, chars := 0, 0
		for {
			tok, err := s.next()
			if err != nil {
				t.Fatalf("%q: %v", unit, err)
			}
			if tok == tokEOF {
				break
			}
			if tok == tokText {
				text = appendXMLText(text, s.text)
				pieces++
				chars += s.chars
			}
		}
		want := string(appendXMLText(nil, []byte(doc[3:len(doc)-4])))
		if string(text) != want || pieces < 3 {
			t.Errorf("%q: %d pieces, %d bytes decoded, want %d bytes in several pieces", unit, pieces, len(text), len(want))
		}
		if n := len([]rune(string(appendXMLText(nil, []byte(doc[3:len(doc)-4]))))); unit != "a\r\n" && chars != n {
			t.Errorf("%q: counted %d characters, want %d", unit, chars, n)
		}
	}
}

func TestCellRef(t *testing.T) {
	for _, c := range [][2]int{{1, 1}, {26, 7}, {27, 10}, {52, 3}, {702, 99}, {703, 1048576}, {16384, 5}} {
		want, _ := excelize.CoordinatesToCellName(c[0], c[1])
		if got := cellRef(c[0], c[1]); got != want {
			t.Errorf("cellRef(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
	}
}
