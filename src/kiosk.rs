//! The application core shared by the HTTP API, the CLI and the tests: configuration, the
//! database, the policy in force, the clock, the card writer and the sale committer.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;

use crate::action::Action;
use crate::card::reader::CardReader;
use crate::card::tray::CardTray;
use crate::clock::{local_day, Clock};
use crate::config::Config;
use crate::domain::policy::Policy;
use crate::flows::audit::{self, ChainWatch};
use crate::flows::checkout::SaleCommitter;
use crate::flows::readers::ReaderHub;
use crate::printer::Printers;
use crate::secrets::DataSecrets;
use crate::staff::sessions::{Session, Sessions};
use crate::store::sealed::Sealer;
use crate::store::{self, Db, StoreError};

#[derive(Clone)]
pub struct Kiosk {
    pub config: Arc<Config>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub card_reader: Arc<dyn CardReader>,
    pub readers: Arc<ReaderHub>,
    /// The demo card tray, in demo / training mode only.
    pub tray: Option<Arc<CardTray>>,
    pub sales: SaleCommitter,
    /// Each workstation's receipt printer (the spool for those without one).
    pub printers: Arc<Printers>,
    /// PIN pepper and personal-data keys (from the key file).
    pub secrets: Arc<DataSecrets>,
    /// Signed-in staff.
    pub sessions: Arc<Sessions>,
    /// Seals and opens members' personal data (built once: the AES key schedule is not free).
    pub sealer: Arc<Sealer>,
    /// The audit chain's last verified and last anchored heads.
    pub audit: Arc<ChainWatch>,
    policies: Arc<RwLock<Vec<Arc<Policy>>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("policy file {path}: {message}")]
    Policy { path: String, message: String },
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
        drop(conn);
        let config = Arc::new(config);
        let sales =
            SaleCommitter::start(db.writer.clone(), config.commit_batch_max, secrets.clone());
        let readers = Arc::new(ReaderHub::new(&config.readers));
        let printers = Arc::new(Printers::from_config(&config));
        let sessions = Arc::new(Sessions::new(chrono::Duration::minutes(i64::from(
            config.session_idle_minutes,
        ))));
        let kiosk = Kiosk {
            config,
            db,
            clock,
            card_reader,
            readers,
            tray: None,
            sales,
            printers,
            secrets,
            sessions,
            sealer,
            audit: Arc::default(),
            policies: Arc::new(RwLock::new(policies)),
        };
        // Every start anchors the head: the first one after the chain was keyed also marks
        // where the plain rows end.
        audit::anchor(&kiosk, "start").await?;
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
