package workbook

import (
	"strconv"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// str turns a directory value into a cell value: empty becomes a missing cell
// (smaller sheets, faster writes, and a blank a reviewer can filter on), and
// anything over Excel's cell limit is cut visibly by clip.
func str(s string) any {
	if s == "" {
		return nil
	}
	if len(s) > excelize.TotalCellChars {
		return clip(s)
	}
	return s
}

// clip shortens s to Excel's 32,767 UTF-16 units per cell and says so.
// excelize would otherwise cut such a value silently (a long otherMobile list
// can get there), and a reviewer would take the rest for all there is.
func clip(s string) string {
	total := 0
	for _, r := range s {
		total += utf16.RuneLen(r)
	}
	if total <= excelize.TotalCellChars {
		return s
	}
	// The marker is sized for the largest count, so the result always fits.
	room := excelize.TotalCellChars - len(clipMarker(total))
	used := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if used+n > room {
			return s[:i] + clipMarker(total-used)
		}
		used += n
	}
	return s
}

func clipMarker(cut int) string {
	return " … [" + strconv.Itoa(cut) + " more characters not shown: Excel's cell limit]"
}
