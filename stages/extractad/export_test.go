package extractad

// FetchRanges lets the Samba tests (package extractad_test, which may import
// fixtures/samba) drive range completion against a real server.
var FetchRanges = fetchRanges
