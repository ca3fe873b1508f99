//! The simulator's admin views of what it received and the cases it holds (JSON).

use super::*;

impl KronofogdenBehaviour {
    pub(super) async fn files_view(
        &self,
        ctx: &SimContext,
    ) -> Result<serde_json::Value, BehaviourError> {
        let rows = sqlx::query(
            "SELECT tx_id, corr_id, sender, received_at, name, missiv_name, layout, kind, filtyp, intressentkod,
               lopnummer, sha256, status, errors_json, handlingsrefs_json, kvittens_name, bekraftelse_sent
             FROM kf_files ORDER BY id",
        )
        .fetch_all(&ctx.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let errors: Vec<KvittensError> =
                serde_json::from_str(&r.try_get::<String, _>("errors_json")?).unwrap_or_default();
            let handlingsrefs: Vec<String> =
                serde_json::from_str(&r.try_get::<String, _>("handlingsrefs_json")?)
                    .unwrap_or_default();
            let felkoder: Vec<&str> = errors.iter().map(|e| e.felkod.as_str()).collect();
            out.push(serde_json::json!({
                "name": r.try_get::<String, _>("name")?,
                "missiv_name": r.try_get::<Option<String>, _>("missiv_name")?,
                "layout": r.try_get::<String, _>("layout")?,
                "kind": r.try_get::<String, _>("kind")?,
                "filtyp": r.try_get::<String, _>("filtyp")?,
                "intressentkod": r.try_get::<String, _>("intressentkod")?,
                "lopnummer": r.try_get::<Option<i64>, _>("lopnummer")?,
                "sha256": r.try_get::<String, _>("sha256")?,
                "status": r.try_get::<String, _>("status")?,
                "felkoder": felkoder,
                "errors": errors.iter().map(|e| serde_json::json!({
                    "niva": match e.niva { Niva::F => "F", Niva::H => "H" },
                    "handlingsref": e.reference, "felkod": e.felkod, "feltext": e.feltext,
                })).collect::<Vec<_>>(),
                "handlingsrefs": handlingsrefs,
                "received": r.try_get::<String, _>("received_at")?,
                "tx_id": r.try_get::<String, _>("tx_id")?,
                "corr_id": r.try_get::<String, _>("corr_id")?,
                "sender": r.try_get::<String, _>("sender")?,
                "kvittens": r.try_get::<String, _>("kvittens_name")?,
                "bekraftelse_sent": r.try_get::<i64, _>("bekraftelse_sent")? != 0,
            }));
        }
        Ok(serde_json::Value::Array(out))
    }

    pub(super) async fn cases_view(
        &self,
        ctx: &SimContext,
    ) -> Result<serde_json::Value, BehaviourError> {
        let rows = sqlx::query(
            "SELECT c.*, f.tx_id AS file_tx_id, f.name AS file_name, f.lopnummer AS lopnummer,
               l.phase AS life_phase, l.next_on AS life_next_on, l.sista_dag AS life_sista_dag,
               l.vs_malnummer AS life_vs_malnummer
             FROM kf_cases c JOIN kf_files f ON f.id = c.file_id LEFT JOIN kf_life l ON l.case_id = c.id
             ORDER BY c.id",
        )
        .fetch_all(&ctx.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let felkoder: Vec<String> =
                serde_json::from_str(&r.try_get::<String, _>("felkoder_json")?).unwrap_or_default();
            let due: Option<i64> = r.try_get("utslag_due")?;
            out.push(serde_json::json!({
                "handlingsref": r.try_get::<String, _>("handlingsref")?,
                "kind": r.try_get::<String, _>("kind")?,
                "intressentkod": r.try_get::<String, _>("intressentkod")?,
                "sender": r.try_get::<String, _>("sender")?,
                "status": r.try_get::<String, _>("status")?,
                "malnummer": r.try_get::<Option<String>, _>("malnummer")?,
                "claimed_ore": r.try_get::<i64, _>("claimed_ore")?,
                "current_ore": r.try_get::<i64, _>("current_ore")?,
                "concerns_malnummer": r.try_get::<Option<String>, _>("concerns_malnummer")?,
                "amount_ore": r.try_get::<Option<i64>, _>("amount_ore")?,
                "change_kind": r.try_get::<Option<String>, _>("change_kind")?,
                "deferral_until": r.try_get::<Option<String>, _>("deferral_until")?,
                "registered_at": r.try_get::<Option<String>, _>("registered_at")?,
                "utslag_due": due.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)).map(|t| t.to_rfc3339()),
                "decision": r.try_get::<Option<String>, _>("decision")?,
                "decision_amount_ore": r.try_get::<Option<i64>, _>("decision_amount_ore")?,
                "decided_at": r.try_get::<Option<String>, _>("decided_at")?,
                "felkoder": felkoder,
                "file": r.try_get::<String, _>("file_name")?,
                "file_tx_id": r.try_get::<String, _>("file_tx_id")?,
                "lopnummer": r.try_get::<Option<i64>, _>("lopnummer")?,
                // FOGD-REF-2 cases: where their life after registration is, and what comes next when.
                "life": r.try_get::<Option<String>, _>("life_phase")?.map(|phase| -> Result<_, sqlx::Error> {
                    Ok(serde_json::json!({
                        "phase": phase,
                        "next_on": r.try_get::<Option<String>, _>("life_next_on")?,
                        "sista_dag": r.try_get::<Option<String>, _>("life_sista_dag")?,
                        "vs_malnummer": r.try_get::<Option<String>, _>("life_vs_malnummer")?,
                    }))
                }).transpose()?,
            }));
        }
        Ok(serde_json::Value::Array(out))
    }
}
