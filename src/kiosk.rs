//! The application core shared by the HTTP API, the CLI and the tests: configuration, the
//! database, the policy in force, the clock, the card writer and the sale committer.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;

use crate::action::Action;
use crate::card::hub::ReaderHub;
use crate::card::reader::CardReader;
use crate::card::tray::CardTray;
use crate::clock::{local_day, Clock};
use crate::config::Config;
use crate::domain::policy::Policy;
use crate::printer::Printers;
use crate::secrets::DataSecrets;
use crate::staff::attempts::PinAttempts;
use crate::staff::sessions::{Session, Sessions};
use crate::store::audit::{self, AuditEntry, ChainWatch, Head};
use crate::store::group_commit::GroupCommit;
use crate::store::sealed::Sealer;
use crate::store::{self, Db, StoreError};
use crate::sync::client::HeadOffice;
use crate::sync::http_client::{ClientError, HttpHeadOffice};
use crate::sync::status::{SyncSnapshot, SyncStatus};

#[derive(Clone)]
pub struct Kiosk {
    pub config: Arc<Config>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub card_reader: Arc<dyn CardReader>,
    pub readers: Arc<ReaderHub>,
    /// The demo card tray, in demo / training mode only.
    pub tray: Option<Arc<CardTray>>,
    /// The one writer that batches sales, audit rows and print results into shared commits.
    pub group_commit: GroupCommit,
    /// Each workstation's receipt printer (the spool for those without one).
    pub printers: Arc<Printers>,
    /// PIN pepper and personal-data keys (from the key file).
    pub secrets: Arc<DataSecrets>,
    /// Signed-in staff.
    pub sessions: Arc<Sessions>,
    /// Wrong PINs for unknown staff numbers; supervisor-PIN approval limits.
    pub pin_attempts: Arc<PinAttempts>,
    /// Seals and opens members' personal data (built once: the AES key schedule is not free).
    pub sealer: Arc<Sealer>,
    /// The audit chain's last verified and last anchored heads.
    pub audit_chain: Arc<ChainWatch>,
    /// Head office (None: sync not configured). Tests put a double here.
    pub head_office: Option<Arc<dyn HeadOffice>>,
    /// The sync's standing (online, last contact, hotlist age) as the sync task last saw it.
    pub sync: Arc<SyncStatus>,
    policies: Arc<RwLock<Vec<Arc<Policy>>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("policy file {path}: {message}")]
    Policy { path: String, message: String },
    #[error(transparent)]
    HeadOffice(#[from] ClientError),
}

impl Kiosk {
    /// Opens and migrates the database, stores the charter policy (and the configured policy
    /// file) as versions, and starts the sale committer.
    pub async fn start(
        config: Config,
        clock: Arc<dyn Clock>,
        card_reader: Arc<dyn CardReader>,
        secrets: Arc<DataSecrets>,
    ) -> Result<Kiosk, StartError> {
        let head_office = HttpHeadOffice::from_config(&config.head_office)?
            .map(|h| Arc::new(h) as Arc<dyn HeadOffice>);
        let db = Db::open(&config.database, config.db_readers).await?;
        // R-SVC-1: personal data left in clear by an older version is sealed before serving.
        let sealer = Arc::new(Sealer::new(&secrets));
        store::members::seal_plaintext_rows(&db, &sealer).await?;
        let now = clock.now();
        let mut conn = db.writer.acquire().await.map_err(StoreError::from)?;
        store::policy::insert_if_new(&mut conn, &Policy::charter_default(), now).await?;
        if let Some(path) = &config.policy_file {
            let policy = load_policy_file(path)?;
            store::policy::insert_if_new(&mut conn, &policy, now).await?;
        }
        let policies = store::policy::all(&mut conn)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        let sync_row = store::sync_state::load(&mut conn).await?;
        drop(conn);
        let sync = Arc::new(SyncStatus::new(SyncSnapshot::from_row(
            config.head_office.enabled(),
            &sync_row,
        )));
        let config = Arc::new(config);
        let group_commit = GroupCommit::start(db.writer.clone(), config.commit_batch_max);
        let readers = Arc::new(ReaderHub::new(&config.readers));
        let printers = Arc::new(Printers::new(
            &config.printers,
            &config.spool_dir,
            &config.database.with_extension("print-journal"),
        ));
        let sessions = Arc::new(Sessions::new(chrono::Duration::minutes(i64::from(
            config.session_idle_minutes,
        ))));
        let pin_attempts = Arc::new(PinAttempts::new(config.login_attempts_per_minute));
        let kiosk = Kiosk {
            config,
            db,
            clock,
            card_reader,
            readers,
            tray: None,
            group_commit,
            printers,
            secrets,
            sessions,
            pin_attempts,
            sealer,
            audit_chain: Arc::default(),
            head_office,
            sync,
            policies: Arc::new(RwLock::new(policies)),
        };
        // Every start anchors the head: the first one after the chain was keyed also marks
        // where the plain rows end.
        kiosk.anchor_audit("start").await?;
        Ok(kiosk)
    }

    /// Today, store-local.
    pub fn today(&self) -> NaiveDate {
        local_day(self.clock.now(), self.config.utc_offset_minutes)
    }

    /// An action by `staff_id` at `workstation`, now.
    pub fn action(&self, staff_id: &str, workstation: &str) -> Action {
        let now = self.clock.now();
        Action {
            store_id: self.config.store_id.clone(),
            staff_id: staff_id.to_owned(),
            role: None,
            workstation: workstation.to_owned(),
            today: local_day(now, self.config.utc_offset_minutes),
            now,
        }
    }

    /// An action by the signed-in staff member at their workstation, now.
    pub fn action_by(&self, session: &Session) -> Action {
        self.action_at(session, &session.workstation)
    }

    /// An action by the signed-in staff member for `workstation` (a till, a reader), now.
    pub fn action_at(&self, session: &Session, workstation: &str) -> Action {
        Action {
            role: Some(session.role),
            ..self.action(&session.staff_number, workstation)
        }
    }

    /// Appends an audit row with the next group commit; returns once it is durable.
    pub async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let secrets = self.secrets.clone();
        self.group_commit
            .write(move |conn| {
                Box::pin(async move { audit::append(conn, secrets.audit_key(), &entry).await })
            })
            .await
            .map(|_seq| ())
    }

    /// The audit chain's head now (what an anchor records).
    pub async fn audit_head(&self) -> Result<Head, StoreError> {
        let mut conn = self.db.reader.acquire().await?;
        audit::head(&mut conn).await
    }

    /// Writes the audit chain's head to the anchor file outside the database (unless this
    /// process anchored that very head already) and returns it. `why` names the anchor point
    /// (`start`, `shutdown`, `periodic`, …).
    pub async fn anchor_audit(&self, why: &str) -> Result<Head, StoreError> {
        let mut anchored = self.audit_chain.anchored.lock().await;
        let head = self.audit_head().await?;
        if anchored.as_ref() != Some(&head) {
            let (path, at, why, written) = (
                self.config.audit_anchors(),
                self.clock.now(),
                why.to_owned(),
                head.clone(),
            );
            tokio::task::spawn_blocking(move || audit::write_anchor(&path, &written, at, &why))
                .await
                .map_err(|e| StoreError::Anchors(format!("writing stopped: {e}")))??;
            *anchored = Some(head.clone());
        }
        Ok(head)
    }

    /// Adds a newly stored policy version to those in force from its day on.
    pub fn remember_policy(&self, policy: Policy) {
        if let Ok(mut all) = self.policies.write() {
            all.push(Arc::new(policy));
        }
    }

    /// The policy in force on `day` (the charter default if none is stored yet).
    pub fn policy(&self, day: NaiveDate) -> Arc<Policy> {
        self.policies
            .read()
            .ok()
            .and_then(|v| {
                v.iter()
                    .filter(|p| p.effective_from <= day)
                    .max_by_key(|p| p.version)
                    .cloned()
            })
            .unwrap_or_else(|| Arc::new(Policy::charter_default()))
    }
}

fn load_policy_file(path: &std::path::Path) -> Result<Policy, StartError> {
    let err = |message: String| StartError::Policy {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    toml::from_str(&text).map_err(|e| err(e.to_string()))
}
