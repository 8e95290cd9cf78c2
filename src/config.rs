//! Kiosk configuration: defaults that run as is, then a TOML file, then `KIOSK_*` env vars.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::card::pcsc_reader::ReaderConfig;
use crate::card::tray::TraySlot;
use crate::printer::PrinterConfig;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Store code: 4 digits, part of every card number minted here.
    pub store_id: String,
    pub store_name: String,
    /// Issuer prefix of card numbers (2 digits).
    pub issuer_prefix: String,
    /// Till ids allowed to commit sales; empty = any.
    pub tills: Vec<String>,
    pub listen: String,
    /// SQLite database file.
    pub database: PathBuf,
    /// The audit anchor file (copies of the audit chain's head, outside the database); None:
    /// beside the database, `<database stem>.audit-anchors`.
    pub audit_anchor_file: Option<PathBuf>,
    /// Read connections beside the single writer.
    pub db_readers: u32,
    /// Optional TOML policy file: stored as a new policy version if its version is new.
    pub policy_file: Option<PathBuf>,
    /// Store-local time offset from UTC, minutes (China: 480).
    pub utc_offset_minutes: i32,
    /// Folder with the kiosk UI.
    pub ui_dir: PathBuf,
    /// Most concurrent sale commits written in one SQLite transaction.
    pub commit_batch_max: usize,
    /// `pcsc` (real readers through pcscd) or `memory` (no hardware: a blank-card stock).
    pub card_reader: CardReaderKind,
    /// PC/SC readers and the workstation each serves.
    pub readers: Vec<ReaderConfig>,
    /// The issuer key file (created with a random key on first run; never commit it).
    pub key_file: PathBuf,
    /// Time limit of one card operation, milliseconds.
    pub card_timeout_ms: u64,
    /// The longest a whole card issue (reserve → write → activate) may take, seconds: a
    /// reservation older than this was left by a crash and is voided.
    pub card_issue_limit_seconds: u64,
    /// Demo / training mode: virtual cards inserted into the vpcd readers through the API.
    pub demo_tray: Vec<TraySlot>,
    /// Where the demo tray keeps the virtual cards taken out of the readers.
    pub demo_cards_dir: PathBuf,
    /// Receipt printers, one per workstation; a workstation without one prints to the spool.
    pub printers: Vec<PrinterConfig>,
    /// The file spool's folder (`<job>.bin` and `<job>.txt` preview).
    pub spool_dir: PathBuf,
    /// A staff session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// Refunds above this amount (¥) need a supervisor's PIN.
    pub refund_supervisor_over: Decimal,
    /// Sign-in attempts allowed per minute from one client address.
    pub login_attempts_per_minute: u32,
    /// Card and member lookups allowed per minute in one session (a till does one per sale).
    pub lookups_per_minute: u32,
    /// Head office and the sync (docs/sync.md); no `url`: the store runs alone.
    pub head_office: HeadOfficeConfig,
}

/// `[head_office]`: where head office is and how the store talks to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeadOfficeConfig {
    /// `https://host:port`; None: sync off (health says `not_configured`).
    pub url: Option<String>,
    /// PEM of the chain's CA: the only root the store trusts for head office.
    pub ca_file: Option<PathBuf>,
    /// `<store_id>.<secret>` as `register-store` printed it (or env `KIOSK_HQ_CREDENTIAL`).
    pub credential: Option<Credential>,
    /// How often the push loop looks for unsent outbox rows when it has nothing to retry.
    pub push_every_ms: u64,
    /// How often the change feed is polled (≤ 60 s for a lost card to reach every store).
    pub pull_every_ms: u64,
    /// How often the chain's issuer keys are fetched.
    pub keys_every_seconds: u64,
    /// One request's time limit.
    pub request_timeout_ms: u64,
    /// While a backlog drains, the share of time the push loop works (it pauses the rest), so
    /// the store's own checkouts keep their speed: 25 drains 100,000 events in about 15 s
    /// here instead of 4, without the tills feeling it.
    pub drain_share_percent: u8,
}

impl Default for HeadOfficeConfig {
    fn default() -> Self {
        HeadOfficeConfig {
            url: None,
            ca_file: None,
            credential: None,
            push_every_ms: 1000,
            pull_every_ms: 5000,
            keys_every_seconds: 3600,
            request_timeout_ms: 10_000,
            drain_share_percent: 25,
        }
    }
}

/// The store's head-office credential: never printed by `Debug` (configs are logged).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Credential(pub String);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardReaderKind {
    Memory,
    Pcsc,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            store_id: "0001".into(),
            store_name: "Demo Department Store".into(),
            issuer_prefix: "88".into(),
            tills: Vec::new(),
            listen: "127.0.0.1:8080".into(),
            database: PathBuf::from("var/kiosk.db"),
            audit_anchor_file: None,
            db_readers: 4,
            policy_file: None,
            utc_offset_minutes: 480,
            ui_dir: PathBuf::from("kiosk-ui"),
            commit_batch_max: 64,
            card_reader: CardReaderKind::Memory,
            readers: Vec::new(),
            key_file: PathBuf::from("var/issuer-key.toml"),
            card_timeout_ms: 5000,
            card_issue_limit_seconds: 120,
            demo_tray: Vec::new(),
            demo_cards_dir: PathBuf::from("var/demo/cards"),
            printers: Vec::new(),
            spool_dir: PathBuf::from("var/spool"),
            session_idle_minutes: 10,
            refund_supervisor_over: Decimal::new(2000, 0),
            login_attempts_per_minute: 10,
            lookups_per_minute: 120,
            head_office: HeadOfficeConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
}

impl Config {
    /// Defaults, overlaid by `file` (if given), overlaid by env vars from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.display().to_string(),
                    source,
                })?
            }
            None => Config::default(),
        };
        if let Some(v) = env("KIOSK_STORE_ID") {
            config.store_id = v;
        }
        if let Some(v) = env("KIOSK_STORE_NAME") {
            config.store_name = v;
        }
        if let Some(v) = env("KIOSK_TILLS") {
            config.tills = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = env("KIOSK_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = env("KIOSK_DATABASE") {
            config.database = PathBuf::from(v);
        }
        if let Some(v) = env("KIOSK_AUDIT_ANCHOR_FILE") {
            config.audit_anchor_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("KIOSK_POLICY_FILE") {
            config.policy_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("KIOSK_UTC_OFFSET_MINUTES") {
            config.utc_offset_minutes = v.parse().map_err(|_| ConfigError::Invalid {
                name: "KIOSK_UTC_OFFSET_MINUTES",
                message: "not an integer".into(),
            })?;
        }
        if let Some(v) = env("KIOSK_CARD_READER") {
            config.card_reader = match v.as_str() {
                "memory" => CardReaderKind::Memory,
                "pcsc" => CardReaderKind::Pcsc,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "KIOSK_CARD_READER",
                        message: "must be 'memory' or 'pcsc'".into(),
                    })
                }
            };
        }
        if let Some(v) = env("KIOSK_KEY_FILE") {
            config.key_file = PathBuf::from(v);
        }
        if let Some(v) = env("KIOSK_SPOOL_DIR") {
            config.spool_dir = PathBuf::from(v);
        }
        if let Some(v) = env("KIOSK_UI_DIR") {
            config.ui_dir = PathBuf::from(v);
        }
        let whole_number = |name: &'static str, v: String| {
            v.parse::<u32>().map_err(|_| ConfigError::Invalid {
                name,
                message: "not a whole number".into(),
            })
        };
        if let Some(v) = env("KIOSK_SESSION_IDLE_MINUTES") {
            config.session_idle_minutes = whole_number("KIOSK_SESSION_IDLE_MINUTES", v)?;
        }
        if let Some(v) = env("KIOSK_LOGIN_ATTEMPTS_PER_MINUTE") {
            config.login_attempts_per_minute = whole_number("KIOSK_LOGIN_ATTEMPTS_PER_MINUTE", v)?;
        }
        if let Some(v) = env("KIOSK_LOOKUPS_PER_MINUTE") {
            config.lookups_per_minute = whole_number("KIOSK_LOOKUPS_PER_MINUTE", v)?;
        }
        if let Some(v) = env("KIOSK_CARD_ISSUE_LIMIT_SECONDS") {
            config.card_issue_limit_seconds =
                u64::from(whole_number("KIOSK_CARD_ISSUE_LIMIT_SECONDS", v)?);
        }
        if let Some(v) = env("KIOSK_HQ_URL") {
            config.head_office.url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = env("KIOSK_HQ_CA_FILE") {
            config.head_office.ca_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("KIOSK_HQ_CREDENTIAL") {
            config.head_office.credential = Some(Credential(v));
        }
        config.validate()?;
        Ok(config)
    }

    /// Where audit anchors are written: the configured file, or one beside the database.
    pub fn audit_anchors(&self) -> PathBuf {
        self.audit_anchor_file
            .clone()
            .unwrap_or_else(|| self.database.with_extension("audit-anchors"))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.store_id, 4) {
            return Err(ConfigError::Invalid {
                name: "store_id",
                message: "must be 4 digits".into(),
            });
        }
        if !digits(&self.issuer_prefix, 2) {
            return Err(ConfigError::Invalid {
                name: "issuer_prefix",
                message: "must be 2 digits".into(),
            });
        }
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(ConfigError::Invalid {
                name: "utc_offset_minutes",
                message: "must be within ±14 hours".into(),
            });
        }
        if self.card_reader == CardReaderKind::Pcsc && self.readers.is_empty() {
            return Err(ConfigError::Invalid {
                name: "readers",
                message: "card_reader = \"pcsc\" needs at least one [[readers]] entry".into(),
            });
        }
        let mut printer_workstations = std::collections::HashSet::new();
        for p in &self.printers {
            if let Some(message) = p.problem() {
                return Err(ConfigError::Invalid {
                    name: "printers",
                    message: format!("workstation {:?}: {message}", p.workstation),
                });
            }
            if !printer_workstations.insert(p.workstation.as_str()) {
                return Err(ConfigError::Invalid {
                    name: "printers",
                    message: format!("workstation {:?} has two printers", p.workstation),
                });
            }
        }
        if self.session_idle_minutes == 0 {
            return Err(ConfigError::Invalid {
                name: "session_idle_minutes",
                message: "must be at least 1".into(),
            });
        }
        if self.login_attempts_per_minute == 0 || self.lookups_per_minute == 0 {
            return Err(ConfigError::Invalid {
                name: "login_attempts_per_minute / lookups_per_minute",
                message: "must be at least 1".into(),
            });
        }
        if self.refund_supervisor_over < Decimal::ZERO {
            return Err(ConfigError::Invalid {
                name: "refund_supervisor_over",
                message: "must not be negative".into(),
            });
        }
        self.head_office.validate(&self.store_id)?;
        if self.commit_batch_max == 0 {
            return Err(ConfigError::Invalid {
                name: "commit_batch_max",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

impl HeadOfficeConfig {
    /// Whether the store syncs at all.
    pub fn enabled(&self) -> bool {
        self.url.is_some()
    }

    fn validate(&self, store_id: &str) -> Result<(), ConfigError> {
        let invalid = |name, message: &str| ConfigError::Invalid {
            name,
            message: message.into(),
        };
        let Some(url) = &self.url else {
            return Ok(());
        };
        if !url.starts_with("https://") {
            return Err(invalid("head_office.url", "must be an https:// address"));
        }
        if self.ca_file.is_none() {
            return Err(invalid(
                "head_office.ca_file",
                "the chain CA's PEM file is needed with a url",
            ));
        }
        match &self.credential {
            None => {
                return Err(invalid(
                    "head_office.credential",
                    "needed with a url (or KIOSK_HQ_CREDENTIAL)",
                ))
            }
            // The credential names its store: a store can't push as another one.
            Some(c) if c.0.split_once('.').map(|(s, _)| s) != Some(store_id) => {
                return Err(invalid(
                    "head_office.credential",
                    "must be <store_id>.<secret> for this store",
                ))
            }
            Some(_) => {}
        }
        if self.push_every_ms == 0 || self.pull_every_ms == 0 || self.request_timeout_ms == 0 {
            return Err(invalid(
                "head_office",
                "push_every_ms, pull_every_ms and request_timeout_ms must be at least 1",
            ));
        }
        if !(1..=100).contains(&self.drain_share_percent) {
            return Err(invalid(
                "head_office.drain_share_percent",
                "must be 1 to 100",
            ));
        }
        if self.keys_every_seconds == 0 {
            return Err(invalid(
                "head_office.keys_every_seconds",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_as_is() {
        let c = Config::load(None, |_| None).unwrap();
        assert_eq!(c.store_id, "0001");
    }

    #[test]
    fn env_overrides_file_and_bad_values_are_named() {
        let c = Config::load(None, |k| {
            (k == "KIOSK_TILLS").then(|| "T01, T02".to_string())
        })
        .unwrap();
        assert_eq!(c.tills, vec!["T01", "T02"]);
        let e =
            Config::load(None, |k| (k == "KIOSK_STORE_ID").then(|| "12".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("store_id"));
    }

    #[test]
    fn head_office_is_off_by_default_and_checked_when_set() {
        let c = Config::load(None, |_| None).unwrap();
        assert!(!c.head_office.enabled());
        assert_eq!(c.head_office.pull_every_ms, 5000);
        let env = |url: &'static str, cred: &'static str| {
            move |k: &str| match k {
                "KIOSK_HQ_URL" => Some(url.to_string()),
                "KIOSK_HQ_CA_FILE" => Some("ca.pem".to_string()),
                "KIOSK_HQ_CREDENTIAL" => Some(cred.to_string()),
                _ => None,
            }
        };
        let c = Config::load(None, env("https://hq:8443", "0001.s3cret")).unwrap();
        assert!(c.head_office.enabled());
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "credential not in Debug"
        );
        let e = Config::load(None, env("http://hq:8080", "0001.x")).unwrap_err();
        assert!(e.to_string().starts_with("head_office.url"), "{e}");
        let e = Config::load(None, env("https://hq:8443", "0002.x")).unwrap_err();
        assert!(e.to_string().starts_with("head_office.credential"), "{e}");
        let c: Config = toml::from_str(
            "[head_office]\nurl = \"https://hq\"\nca_file = \"ca.pem\"\ncredential = \"0001.k\"\npull_every_ms = 200\n",
        )
        .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.head_office.pull_every_ms, 200);
    }

    #[test]
    fn printers_from_the_file_with_defaults() {
        let c: Config = toml::from_str(
            "[[printers]]\nworkstation = \"checkout-1\"\ndriver = \"network\"\naddress = \"10.0.0.5:9100\"\npaper = \"mm58\"\n\n[[printers]]\nworkstation = \"lounge\"\n",
        )
        .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.spool_dir, PathBuf::from("var/spool"));
        let p = &c.printers[0];
        assert_eq!(p.paper, crate::receipt::render::Paper::Mm58);
        assert_eq!(p.language, crate::receipt::render::Language::Zh);
        assert_eq!(p.timeout_ms, 3000);
        assert_eq!(c.printers[1].driver, crate::printer::DriverKind::Spool);
        let bad: Config =
            toml::from_str("[[printers]]\nworkstation = \"desk\"\ndriver = \"device\"\n").unwrap();
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("printers"));
    }
}
