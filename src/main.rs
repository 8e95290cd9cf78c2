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
    /// Head-office mode: the chain's server on PostgreSQL (see docs/sync.md).
    HeadOffice(HeadOfficeArgs),
}

#[derive(clap::Args)]
struct HeadOfficeArgs {
    /// PostgreSQL URL, e.g. postgres://user@host/kiosk_hq.
    #[arg(long, env = "KIOSK_HQ_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Head office's own chain key file (issuer keys + data secret; created on first use).
    #[arg(
        long,
        env = "KIOSK_HQ_KEY_FILE",
        default_value = "head-office-keys.toml",
        global = true
    )]
    chain_key_file: PathBuf,
    /// Most database connections of this process.
    #[arg(
        long,
        env = "KIOSK_HQ_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    max_connections: u32,
    #[command(subcommand)]
    command: HqCommand,
}

#[derive(Subcommand)]
enum HqCommand {
    /// Serve stores and head-office staff over TLS (migrates first; runs the daily review).
    Serve {
        #[arg(long, env = "KIOSK_HQ_LISTEN", default_value = "0.0.0.0:8443")]
        listen: String,
        #[arg(long, env = "KIOSK_HQ_TLS_CERT")]
        tls_cert: PathBuf,
        #[arg(long, env = "KIOSK_HQ_TLS_KEY")]
        tls_key: PathBuf,
        /// Do not run the daily annual review in this process.
        #[arg(long)]
        no_review_job: bool,
    },
    /// Create or migrate head office's PostgreSQL schema, then exit.
    Migrate,
    /// Make the chain's CA and a server certificate it signs: ca.pem, ca.key, server.pem,
    /// server.key in DIR.
    InitTls {
        #[arg(long)]
        dir: PathBuf,
        /// Host names or IP addresses the server certificate names (repeatable).
        #[arg(long, default_value = "127.0.0.1")]
        host: Vec<String>,
    },
    /// Register a store: prints its credential once and writes its key file.
    RegisterStore {
        #[arg(long)]
        store_id: String,
        #[arg(long)]
        name: String,
        /// Where to write the store's key file (chain issuer keys + data secret).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Create a head-office admin (hq_admin). The PIN is read from standard input.
    AddAdmin {
        #[arg(long)]
        staff_number: String,
        #[arg(long)]
        name: String,
    },
    /// Add a chain issuer key and make it current (stores fetch it from /sync/v1/keys).
    RotateKey,
    /// Run head office's annual review for a day (default today), then exit.
    Review {
        #[arg(long)]
        date: Option<NaiveDate>,
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
    if let Command::HeadOffice(args) = cli.command {
        return head_office(args).await;
    }
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
        Command::Migrate
        | Command::RotateKey
        | Command::VerifyAudit { .. }
        | Command::HeadOffice(_) => {
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

/// `member-kiosk head-office …`.
async fn head_office(args: HeadOfficeArgs) -> anyhow::Result<()> {
    use member_kiosk::headoffice::{self as hq, config::HqConfig, config::ServeConfig};
    let key_file = args.chain_key_file.clone();
    match &args.command {
        HqCommand::InitTls { dir, host } => {
            let files = hq::tls::init_tls(dir, host).context("making the chain's certificates")?;
            println!(
                "chain CA {} (give it to every store), server certificate {} and key {}",
                files.ca_cert.display(),
                files.server_cert.display(),
                files.server_key.display()
            );
            return Ok(());
        }
        HqCommand::RotateKey => {
            let id = hq::keys::rotate(&key_file)
                .with_context(|| format!("chain key file {}", key_file.display()))?;
            println!("issuer key {id} is now current; stores fetch it on their next sync");
            return Ok(());
        }
        _ => {}
    }
    let database_url = args
        .database_url
        .clone()
        .context("--database-url (or KIOSK_HQ_DATABASE_URL) is required")?;
    let config = HqConfig {
        database_url,
        key_file: key_file.clone(),
        max_connections: args.max_connections,
    };
    let (keyring, secrets) = hq::keys::load_or_create(&key_file)
        .with_context(|| format!("chain key file {}", key_file.display()))?;
    let pool = hq::db::connect(&config, true)
        .await
        .context("head-office database")?;
    match args.command {
        HqCommand::Migrate => println!("head-office database ready"),
        HqCommand::RegisterStore {
            store_id,
            name,
            key_file: store_key_file,
        } => {
            let minted = hq::credentials::register_store(&pool, &store_id, &name).await?;
            if let Err(e) = hq::keys::write_store_key_file(&store_key_file, &keyring) {
                // Without its key file the store can't use the credential: undo.
                sqlx::query("DELETE FROM stores WHERE store_id = $1")
                    .bind(&store_id)
                    .execute(&pool)
                    .await?;
                return Err(e)
                    .with_context(|| format!("store key file {}", store_key_file.display()));
            }
            println!(
                "store {} registered; key file {}",
                minted.store_id,
                store_key_file.display()
            );
            println!("credential (shown once): {}", minted.credential);
        }
        HqCommand::AddAdmin { staff_number, name } => {
            let pin = read_pin()?;
            hq::staff::add_admin(&pool, Arc::new(secrets), &staff_number, &name, pin).await?;
            println!("head-office admin {staff_number} created");
        }
        HqCommand::Review { date } => {
            let day = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            let policy = member_kiosk::domain::policy::Policy::charter_default();
            let summary = hq::review::run(&pool, &policy, day).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        HqCommand::Serve {
            listen,
            tls_cert,
            tls_key,
            no_review_job,
        } => {
            let ho = hq::HeadOffice {
                pool: pool.clone(),
                key_file,
                secrets: Arc::new(secrets),
            };
            let serve = ServeConfig {
                listen,
                tls_cert,
                tls_key,
                review_job: !no_review_job,
            };
            hq::http::serve(ho, &serve, shutdown_signal()).await?;
        }
        HqCommand::InitTls { .. } | HqCommand::RotateKey => {}
    }
    pool.close().await;
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
