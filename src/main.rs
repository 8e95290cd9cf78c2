//! The `member-kiosk` binary: parse the command line and config, build the kiosk from config,
//! clock and card writer, and run the chosen subcommand.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use member_kiosk::card::keys::Keyring;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::card::pcsc_reader::PcscReader;
use member_kiosk::card::reader::CardReader;
use member_kiosk::card::tray::CardTray;
use member_kiosk::clock::SystemClock;
use member_kiosk::config::{CardReaderKind, Config};
use member_kiosk::flows::{readers, review, staff};
use member_kiosk::jobs::JobRunner;
use member_kiosk::kiosk::Kiosk;
use member_kiosk::secrets::DataSecrets;
use member_kiosk::store::{audit, Db};
use member_kiosk::{demo, http};

#[derive(Parser)]
#[command(
    name = "member-kiosk",
    version,
    about = "Department-store membership kiosk"
)]
struct Cli {
    /// TOML config file (env vars KIOSK_* override it).
    #[arg(long, short, env = "KIOSK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the kiosk service (HTTP API + UI, daily annual review).
    Serve,
    /// Create or migrate the database, then exit.
    Migrate,
    /// Run the annual review for a day (default today), then exit.
    Review {
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Add a new issuer key and make it the one new cards are written with; cards written
    /// under older keys stay readable (the old keys are kept in the key file).
    RotateKey,
    /// Seed a new database with a realistic demo store.
    DemoData {
        #[arg(long, default_value_t = 500)]
        members: usize,
    },
    /// Check the audit trail's keyed hash chain and that it reaches every anchor in the
    /// anchor file; exits 1 if a row was edited or removed, the tail cut or history re-chained.
    VerifyAudit {
        /// Also an anchor read off a daily summary slip: `SEQ:HASH` (the hash's printed hex
        /// digits). Repeatable.
        #[arg(long)]
        anchor: Vec<audit::Anchor>,
        /// Only the rows after a head an earlier check verified (the `#SEQ HASH` it printed,
        /// given as `SEQ:HASH`), which must still be there with that hash.
        #[arg(long)]
        since: Option<audit::Anchor>,
    },
    /// First run: create the store's first supervisor (refused once one exists). The PIN is
    /// read from standard input (not echoed on a terminal), never from the command line.
    BootstrapSupervisor {
        #[arg(long)]
        staff_number: String,
        #[arg(long)]
        name: String,
    },
    /// Create a head-office admin account (policy, audit view). PIN from standard input.
    AddHqAdmin {
        #[arg(long)]
        staff_number: String,
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config =
        Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()).context("configuration")?;
    let listen = config.listen.clone();
    if let Command::RotateKey = cli.command {
        let mut keys = Keyring::load(&config.key_file)
            .with_context(|| format!("issuer key file {}", config.key_file.display()))?;
        let id = keys
            .rotate(&config.key_file)
            .context("rotating the issuer key")?;
        println!("issuer key {id} is now used for new cards; older keys still verify old cards");
        return Ok(());
    }
    if let Command::VerifyAudit { anchor, since } = &cli.command {
        // The key is needed to check keyed rows: never make up a new one here.
        if std::env::var_os("KIOSK_ISSUER_KEY").is_none() && !config.key_file.exists() {
            anyhow::bail!(
                "issuer key file {} not found: the audit chain is keyed with its data secret",
                config.key_file.display()
            );
        }
        let (_, secrets) = issuer_keys(&config)?;
        let anchors_file = config.audit_anchors();
        let mut anchors = audit::read_anchors(&anchors_file)?;
        anchors.extend(anchor.iter().cloned());
        let db = Db::open(&config.database, 1)
            .await
            .with_context(|| format!("database {}", config.database.display()))?;
        let report = {
            let mut conn = db.reader.acquire().await.context("database")?;
            let since = match since {
                Some(since) => Some(
                    audit::resume_at(&mut conn, since)
                        .await
                        .context("reading the audit trail")?,
                ),
                None => None,
            };
            audit::verify(&mut conn, secrets.audit_key(), since.as_ref(), &anchors)
                .await
                .context("reading the audit trail")?
        };
        db.close().await;
        println!("{report}");
        if !report.is_ok() {
            std::process::exit(1);
        }
        return Ok(());
    }
    let (keys, secrets) = issuer_keys(&config)?;
    let keys = Arc::new(keys);
    let card_reader: Arc<dyn CardReader> = match config.card_reader {
        CardReaderKind::Pcsc => Arc::new(PcscReader::new(config.readers.clone(), keys.clone())),
        CardReaderKind::Memory => Arc::new(MemoryCardReader::with_blank_stock(keys.clone())),
    };
    let tray = (!config.demo_tray.is_empty()).then(|| {
        Arc::new(CardTray::new(
            config.demo_tray.clone(),
            config.demo_cards_dir.clone(),
            keys,
        ))
    });
    let mut kiosk = Kiosk::start(
        config,
        Arc::new(SystemClock),
        card_reader,
        Arc::new(secrets),
    )
    .await
    .context("starting the kiosk")?;
    kiosk.tray = tray;
    match cli.command {
        Command::Migrate | Command::RotateKey | Command::VerifyAudit { .. } => {
            tracing::info!("database ready")
        }
        Command::BootstrapSupervisor {
            ref staff_number,
            ref name,
        } => {
            let pin = read_pin()?;
            let account = staff::bootstrap_supervisor(&kiosk, staff_number, name, pin).await?;
            audit_cli(&kiosk, "cli.bootstrap_supervisor", &account.staff_number).await?;
            println!("supervisor {} created", account.staff_number);
        }
        Command::AddHqAdmin {
            ref staff_number,
            ref name,
        } => {
            let pin = read_pin()?;
            let account = staff::add_hq_admin(&kiosk, staff_number, name, pin).await?;
            audit_cli(&kiosk, "cli.add_hq_admin", &account.staff_number).await?;
            println!("head-office admin {} created", account.staff_number);
        }
        Command::Review { date } => {
            let mut action = kiosk.action("system", "cli");
            if let Some(d) = date {
                action.today = d;
            }
            let summary = review::run_review(&kiosk, &action).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::DemoData { members } => {
            let summary = demo::seed(&kiosk, members).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, store = %kiosk.config.store_id, "kiosk serving");
            let jobs = JobRunner::start(&kiosk)
                .await
                .context("settling print jobs left pending")?;
            if kiosk.config.card_reader == CardReaderKind::Pcsc {
                readers::start(&kiosk).context("starting the card reader monitor")?;
            }
            http::serve(listener, kiosk.clone(), shutdown_signal()).await?;
            kiosk.readers.stop();
            jobs.stop().await;
            // The last anchor, once no request can add a row.
            kiosk
                .anchor_audit("shutdown")
                .await
                .context("anchoring the audit head")?;
        }
    }
    kiosk.db.close().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd, `kill`): stop taking requests, finish those in flight.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The issuer keys and data secrets: `KIOSK_ISSUER_KEY` + `KIOSK_DATA_SECRET` (hex, for
/// deployments that inject secrets) or the key file, created with random keys on first run.
fn issuer_keys(config: &Config) -> anyhow::Result<(Keyring, DataSecrets)> {
    if let Ok(hex) = std::env::var("KIOSK_ISSUER_KEY") {
        let id = std::env::var("KIOSK_ISSUER_KEY_ID")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let keys = Keyring::from_env_value(&hex, id).context("KIOSK_ISSUER_KEY")?;
        let root = std::env::var("KIOSK_DATA_SECRET")
            .context("KIOSK_DATA_SECRET must be set beside KIOSK_ISSUER_KEY")?;
        let secrets = DataSecrets::from_env_value(&root)?;
        return Ok((keys, secrets));
    }
    let file = || format!("issuer key file {}", config.key_file.display());
    let mut keys = Keyring::load_or_create(&config.key_file).with_context(file)?;
    let root = keys
        .data_secret_or_add(&config.key_file)
        .with_context(file)?;
    Ok((keys, DataSecrets::derive(&root)))
}

/// Reads a PIN from standard input: one line, not echoed when typed at a terminal.
fn read_pin() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("PIN (6-12 digits, not shown): ");
    }
    let _echo_off = terminal.then(EchoOff::new).flatten();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the PIN")?;
    if terminal {
        eprintln!();
    }
    Ok(line.trim().to_owned())
}

/// Terminal echo switched off while it lives.
struct EchoOff(libc::termios);

impl EchoOff {
    fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on stdin with a zeroed, then filled, termios.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            (libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) == 0).then_some(EchoOff(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.0);
        }
    }
}

/// An audit row for an account made at the command line (no session: staff `cli`).
async fn audit_cli(kiosk: &Kiosk, action: &str, target: &str) -> anyhow::Result<()> {
    let entry = audit::AuditEntry {
        store_id: kiosk.config.store_id.clone(),
        at: kiosk.clock.now(),
        staff_id: "cli".into(),
        role: None,
        workstation: "cli".into(),
        action: action.into(),
        target: Some(target.into()),
        detail: None,
        result: 201,
    };
    kiosk.audit(entry).await.context("writing the audit row")
}
