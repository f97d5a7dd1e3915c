"""Fill in a syncgap plan workbook the way a reviewer's program would.

Used by the Go tests: openpyxl is not excelize, so a round trip through it
proves approve reads what another writer saved.

usage: sign_workbook.py IN OUT SPEC.json
SPEC: {"decisions": {action_id or "Group N": text}, "approver": str, "role": str,
       "date": str, "approver2": str, "role2": str, "date2": str (the second
       approver; by default a CAB member signing the same day, unless
       "no_second": true), "change_id": str,
       "plan_hash": str (optional, overwrites the hash),
       "duplicate_first_row": bool, "rename_id": [old, new],
       "set_group": [action_id, "Group N"] (edits the row's Group cell)}
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
    ws.protection.sheet = False
    header = [c.value for c in ws[1]]
    id_col = header.index("Action id") + 1
    dec_col = header.index("Decision") + 1
    com_col = header.index("Comment") + 1
    for row in range(2, ws.max_row + 1):
        action = ws.cell(row=row, column=id_col).value
        if action in spec.get("decisions", {}):
            ws.cell(row=row, column=dec_col).value = spec["decisions"][action]
            ws.cell(row=row, column=com_col).value = "checked by phone, ticket CHG-%d" % row
        if spec.get("set_group") and action == spec["set_group"][0]:
            ws.cell(row=row, column=header.index("Group") + 1).value = spec["set_group"][1]
        if spec.get("rename_id") and action == spec["rename_id"][0]:
            ws.cell(row=row, column=id_col).value = spec["rename_id"][1]
    if spec.get("duplicate_first_row") and ws.title == "Plan":
        ws.append([c.value for c in ws[2]])

second = {} if spec.get("no_second") else {
    "Approver 2 name": spec.get("approver2", "Sam Second"),
    "Approver 2 role": spec.get("role2", "CAB member"),
    "Approver 2 date": spec.get("date2", spec.get("date")),
}
so = wb["Sign-off"]
so.protection.sheet = False
for row in range(1, so.max_row + 1):
    label = so.cell(row=row, column=1).value
    value = {"Approver 1 name": spec.get("approver"), "Approver 1 role": spec.get("role"),
             "Approver 1 date": spec.get("date"), "Plan hash": spec.get("plan_hash"),
             "Change ID": spec.get("change_id"), **second}.get(label)
    if value is not None:
        so.cell(row=row, column=2).value = value
wb.save(dst)
