"""Fill in a syncgap plan workbook the way a change board's program would.

Used by the workbook tests: openpyxl is not excelize, so a round trip through
it proves ReadSigned reads what another writer saved, and it drops every
cached formula value, so whoever opens the result next must recalculate.
The sheets stay protected: only the cells a board can edit are written.

usage: fill_plan.py IN OUT SPEC.json
SPEC: {"rows": {action_id: decision text},
       "comments": {action_id: text},
       "groups": {"Group 1": decision text},
       "signoff": {label in column A: value for column B}}
"""
import json
import sys

import openpyxl

src, dst, spec_path = sys.argv[1:4]
with open(spec_path, encoding="utf-8") as fh:
    spec = json.load(fh)

wb = openpyxl.load_workbook(src)
for ws in wb.worksheets:
    if ws.title != "Plan" and not ws.title.startswith("Plan ("):
        continue
    header = [c.value for c in ws[1]]
    id_col = header.index("Action id") + 1
    dec_col = header.index("Decision") + 1
    com_col = header.index("Comment") + 1
    for row in range(2, ws.max_row + 1):
        key = ws.cell(row=row, column=id_col).value
        for table in ("rows", "groups"):
            if key in spec.get(table, {}):
                ws.cell(row=row, column=dec_col).value = spec[table][key]
        if key in spec.get("comments", {}):
            ws.cell(row=row, column=com_col).value = spec["comments"][key]

so = wb["Sign-off"]
for row in range(1, so.max_row + 1):
    label = so.cell(row=row, column=1).value
    if label in spec.get("signoff", {}):
        so.cell(row=row, column=2).value = spec["signoff"][label]
wb.save(dst)
