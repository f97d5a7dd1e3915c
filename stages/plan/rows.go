package plan

import (
	"fmt"
	"io"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// effectsTable is the spilled table of what deciding each action does,
// one row per plan.parquet row, in the same order.
const effectsTable = "effects"

// effectRow is a workbook.ActionEffect as a table row.
type effectRow struct {
	IfApproved     string                `parquet:"if_approved"`
	IfRejected     string                `parquet:"if_rejected"`
	Approved       pipeline.CloudOutcome `parquet:"approved"`
	Rejected       pipeline.CloudOutcome `parquet:"rejected"`
	Deletes        pipeline.NullBool     `parquet:"deletes"`
	GroupKind      pipeline.ActionKind   `parquet:"group_kind"`
	GroupAttribute string                `parquet:"group_attribute"`
	GroupOp        pipeline.Op           `parquet:"group_op"`
	GroupRisk      pipeline.Risk         `parquet:"group_risk"`
}

func toEffectRow(e *workbook.ActionEffect) effectRow {
	return effectRow{
		IfApproved: e.IfApproved, IfRejected: e.IfRejected, Approved: e.Approved, Rejected: e.Rejected,
		Deletes:   pipeline.Known(e.Deletes),
		GroupKind: e.Group.Kind, GroupAttribute: e.Group.Attribute, GroupOp: e.Group.Op, GroupRisk: e.Group.Risk,
	}
}

func (r *effectRow) effect() workbook.ActionEffect {
	return workbook.ActionEffect{
		IfApproved: r.IfApproved, IfRejected: r.IfRejected, Approved: r.Approved, Rejected: r.Rejected, Deletes: r.Deletes.Bool,
		Group: workbook.GroupKey{Kind: r.GroupKind, Attribute: r.GroupAttribute, Op: r.GroupOp, Risk: r.GroupRisk},
	}
}

// planRows are the plan's rows for the workbook: plan.parquet and the
// effects table read side by side on every pass.
type planRows struct {
	plan, effects string
}

var _ workbook.PlanRows = planRows{}

// Each implements workbook.PlanRows.
func (p planRows) Each(fn func(a *pipeline.Action, e *workbook.ActionEffect) error) error {
	ar, err := pipeline.OpenReader[pipeline.Action](p.plan)
	if err != nil {
		return err
	}
	defer ar.Close()
	er, err := pipeline.OpenReader[effectRow](p.effects)
	if err != nil {
		return err
	}
	defer er.Close()
	if ar.NumRows() != er.NumRows() {
		return fmt.Errorf("plan: %d actions, %d effects", ar.NumRows(), er.NumRows())
	}
	var a pipeline.Action
	var r effectRow
	for {
		aerr, rerr := ar.Next(&a), er.Next(&r)
		switch {
		case aerr == io.EOF && rerr == io.EOF:
			return nil
		case aerr != nil && aerr != io.EOF:
			return aerr
		case rerr != nil && rerr != io.EOF:
			return rerr
		case aerr != nil || rerr != nil:
			return fmt.Errorf("plan: %s and %s do not end together", p.plan, p.effects)
		}
		e := r.effect()
		if err := fn(&a, &e); err != nil {
			return err
		}
	}
}
