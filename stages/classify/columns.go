package classify

import (
	"time"

	"syncgap/pipeline"
)

// joinedRow is the part of a joined row that Row reads: 15 of the table's
// 29 columns. Reading joined through it, Parquet decodes only these, which
// leaves out more than half the table's bytes (GUIDs, anchors, DNs,
// origins). A test keeps it in step with what Row reads.
type joinedRow struct {
	MatchStatus pipeline.MatchStatus `parquet:"match_status"`
	MatchMethod pipeline.MatchMethod `parquet:"match_method"`
	Note        string               `parquet:"match_note"`
	AD          adColumns            `parquet:",prefix=ad_"`
	Entra       entraColumns         `parquet:",prefix=entra_"`
}

type adColumns struct {
	DN          string    `parquet:"dn"`
	UPN         string    `parquet:"upn"`
	Mobile      string    `parquet:"mobile"`
	OtherMobile []string  `parquet:"other_mobile"`
	Country     string    `parquet:"country"`
	WhenChanged time.Time `parquet:"when_changed"`
}

type entraColumns struct {
	ID                    string    `parquet:"id"`
	UPN                   string    `parquet:"upn"`
	MobilePhone           string    `parquet:"mobile_phone"`
	AlternateMobilePhones []string  `parquet:"alternate_mobile_phones"`
	UsageLocation         string    `parquet:"usage_location"`
	OnPremisesLastSync    time.Time `parquet:"on_premises_last_sync"`
}

// joined is r as a joined row, the columns it does not read left empty.
func (r *joinedRow) joined() pipeline.Joined {
	return pipeline.Joined{
		MatchStatus: r.MatchStatus,
		MatchMethod: r.MatchMethod,
		Note:        r.Note,
		AD: pipeline.ADUser{DN: r.AD.DN, UPN: r.AD.UPN, Mobile: r.AD.Mobile, OtherMobile: r.AD.OtherMobile,
			Country: r.AD.Country, WhenChanged: r.AD.WhenChanged},
		Entra: pipeline.EntraUser{ID: r.Entra.ID, UPN: r.Entra.UPN, MobilePhone: r.Entra.MobilePhone,
			AlternateMobilePhones: r.Entra.AlternateMobilePhones, UsageLocation: r.Entra.UsageLocation,
			OnPremisesLastSync: r.Entra.OnPremisesLastSync},
	}
}
