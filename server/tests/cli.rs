//! The IT commands as IT runs them: the real binary, a real data dir with
//! its own PostgreSQL cluster, real TLS.

use std::{
    fs,
    net::TcpListener,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_gascis-server");

/// A temp dir the cluster's system account can walk through.
fn workspace() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("gascis-cli-").tempdir()?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn run(args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()?)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

/// A `serve` child that is stopped (SIGTERM) when dropped.
struct Serving {
    child: Child,
}

impl Serving {
    fn start(dir: &Path) -> anyhow::Result<Serving> {
        let child = Command::new(BIN)
            .args(["serve", "--data-dir", path_str(dir)])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        Ok(Serving { child })
    }

    fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id())?);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        Ok(self.child.wait()?)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

fn wait_for_status(dir: &Path, want_ok: bool) -> anyhow::Result<Output> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = run(&["status", "--data-dir", path_str(dir)])?;
        if output.status.success() == want_ok || Instant::now() > deadline {
            return Ok(output);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn postmaster_running(dir: &Path) -> bool {
    dir.join("postgres/postmaster.pid").exists()
}

#[test]
fn init_serve_status_users_and_clean_shutdown() -> anyhow::Result<()> {
    let work = workspace()?;
    let dir = work.path().join("data");
    let port = free_port()?;
    let password_file = work.path().join("admin.pw");
    fs::write(&password_file, "first-admin-pass\n")?;

    let output = run(&[
        "init",
        "--data-dir",
        path_str(&dir),
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--admin-password-file",
        path_str(&password_file),
        "--hostname",
        "cis.example.local",
    ])?;
    assert!(output.status.success(), "{}", text(&output));
    let mode = fs::metadata(&dir)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "data dir must be private");
    for file in [
        "gascis.toml",
        "tls/ca.crt",
        "tls/server.crt",
        "tls/server.key",
        "postgres/PG_VERSION",
    ] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
    assert!(!dir.join(".init-incomplete").exists());
    assert!(
        !postmaster_running(&dir),
        "init must leave PostgreSQL stopped"
    );
    let config = fs::read_to_string(dir.join("gascis.toml"))?;
    assert!(config.contains("cis.example.local"));
    assert!(config.contains("# Failed logins in a row that lock a user."));

    // Init twice is refused and harms nothing.
    let again = run(&["init", "--data-dir", path_str(&dir)])?;
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already initialised"),
        "{}",
        text(&again)
    );

    // Status with nothing running: non-zero, one line per check.
    let down = run(&["status", "--data-dir", path_str(&dir)])?;
    assert!(!down.status.success());
    assert!(text(&down).contains("FAIL grpc"), "{}", text(&down));

    let mut serving = Serving::start(&dir)?;
    let up = wait_for_status(&dir, true)?;
    let up_text = text(&up);
    assert!(up.status.success(), "{up_text}");
    for line in ["ok   config", "ok   database", "ok   schema", "ok   grpc"] {
        assert!(up_text.contains(line), "missing '{line}' in {up_text}");
    }

    // A second serve on the same dir refuses.
    let second = run(&["serve", "--data-dir", path_str(&dir)])?;
    assert!(!second.status.success());
    assert!(
        text(&second).contains("already serving"),
        "{}",
        text(&second)
    );

    // User administration works while the server runs.
    let add = run(&[
        "user",
        "add",
        "--data-dir",
        path_str(&dir),
        "wangfang",
        "--role",
        "cashier,supervisor",
        "--display-name",
        "王芳",
    ])?;
    assert!(add.status.success(), "{}", text(&add));
    assert!(
        text(&add).contains("password: "),
        "generated password is shown once"
    );
    let list = run(&["user", "list", "--data-dir", path_str(&dir)])?;
    let list_text = text(&list);
    assert!(
        list_text.contains("wangfang") && list_text.contains("cashier,supervisor"),
        "{list_text}"
    );
    let disable = run(&["user", "disable", "--data-dir", path_str(&dir), "wangfang"])?;
    assert!(disable.status.success(), "{}", text(&disable));
    let list = text(&run(&["user", "list", "--data-dir", path_str(&dir)])?);
    assert!(
        list.lines()
            .any(|l| l.starts_with("wangfang") && l.contains("disabled")),
        "{list}"
    );
    let bad_role = run(&[
        "user",
        "add",
        "--data-dir",
        path_str(&dir),
        "x1",
        "--role",
        "boss",
    ])?;
    assert!(!bad_role.status.success());
    assert!(
        text(&bad_role).contains("unknown role 'boss'"),
        "{}",
        text(&bad_role)
    );

    let status = serving.terminate()?;
    assert!(status.success(), "serve exits 0 on SIGTERM");
    let mut log = String::new();
    if let Some(mut stderr) = serving.child.stderr.take() {
        use std::io::Read;
        stderr.read_to_string(&mut log)?;
    }
    assert!(log.contains("stopping PostgreSQL"), "{log}");
    assert!(
        !postmaster_running(&dir),
        "PostgreSQL must stop with the server"
    );

    // Users can be managed with the server stopped too; the cluster is
    // started and stopped around the change.
    let migrate = run(&["migrate", "--data-dir", path_str(&dir)])?;
    assert!(
        text(&migrate).contains("schema is current"),
        "{}",
        text(&migrate)
    );
    assert!(!postmaster_running(&dir));
    Ok(())
}

#[test]
fn bad_input_gets_one_clear_line_and_leaves_nothing_half_made() -> anyhow::Result<()> {
    let work = workspace()?;

    let unknown = run(&["serve", "--data-dir", "x", "--bogus"])?;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("unexpected argument '--bogus'"));

    let missing: PathBuf = work.path().join("nowhere");
    let output = run(&["serve", "--data-dir", path_str(&missing)])?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("does not exist; create it with `gascis-server init"),
        "{}",
        text(&output)
    );

    // No PostgreSQL binaries: a clear line naming the package, and no dir.
    let no_pg = work.path().join("no-pg");
    let output = Command::new(BIN)
        .args(["init", "--data-dir", path_str(&no_pg)])
        .env("GASCIS_PG_BINDIR", work.path().join("empty"))
        .output()?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("apt-get install postgresql"),
        "{}",
        text(&output)
    );
    assert!(!no_pg.exists(), "nothing may be created");

    // Unwritable location.
    let blocker = work.path().join("a-file");
    fs::write(&blocker, "x")?;
    let output = run(&["init", "--data-dir", path_str(&blocker.join("data"))])?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("cannot create data dir"),
        "{}",
        text(&output)
    );

    // A non-empty directory that is not ours.
    let foreign = work.path().join("foreign");
    fs::create_dir(&foreign)?;
    fs::write(foreign.join("notes.txt"), "keep me")?;
    let output = run(&["init", "--data-dir", path_str(&foreign)])?;
    assert!(text(&output).contains("is not empty"), "{}", text(&output));
    assert_eq!(fs::read_to_string(foreign.join("notes.txt"))?, "keep me");

    // An init that died halfway is simply run again.
    let dir = work.path().join("data");
    fs::create_dir(&dir)?;
    fs::write(dir.join(".init-incomplete"), "")?;
    fs::create_dir_all(dir.join("tls"))?;
    fs::write(dir.join("gascis.toml"), "half written [")?;
    let output = run(&["serve", "--data-dir", path_str(&dir)])?;
    assert!(
        text(&output).contains("half-initialised"),
        "{}",
        text(&output)
    );
    let port = free_port()?;
    let output = run(&[
        "init",
        "--data-dir",
        path_str(&dir),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])?;
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("first user: admin, password: "));

    // A corrupt configuration names the file and the problem.
    let good = fs::read_to_string(dir.join("gascis.toml"))?;
    fs::write(
        dir.join("gascis.toml"),
        good.replace("[session]", "[session\n"),
    )?;
    let output = run(&["serve", "--data-dir", path_str(&dir)])?;
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output);
    assert!(
        message.contains("gascis.toml is not a valid gascis configuration"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
    fs::write(dir.join("gascis.toml"), &good)?;

    // Port in use: a clear line, and PostgreSQL is not left running.
    let taken = TcpListener::bind(("127.0.0.1", port))?;
    let output = run(&["serve", "--data-dir", path_str(&dir)])?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("already in use"),
        "{}",
        text(&output)
    );
    assert!(
        !postmaster_running(&dir),
        "PostgreSQL stopped after the failed start"
    );
    drop(taken);
    Ok(())
}

fn ledger(path: &Path, rows: &[[&str; 9]]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "某燃气公司用户台账")?;
    let header = [
        "户号",
        "户名",
        "证件号码",
        "联系电话",
        "用气地址",
        "表号",
        "表类型",
        "余额",
        "欠费",
    ];
    for (column, title) in header.iter().enumerate() {
        sheet.write_string(2, column as u16, *title)?;
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(3 + index as u32, column as u16, *value)?;
        }
    }
    workbook.save(path)?;
    Ok(())
}

fn summary(output: &Output) -> anyhow::Result<serde_json::Value> {
    serde_json::from_slice(&output.stdout)
        .map_err(|error| anyhow::anyhow!("not one JSON object ({error}): {}", text(output)))
}

#[test]
fn import_json_summary_dry_run_commit_reimport_and_refusal() -> anyhow::Result<()> {
    let work = workspace()?;
    let dir = work.path().join("data");
    let init = run(&["init", "--data-dir", path_str(&dir)])?;
    anyhow::ensure!(init.status.success(), "{}", text(&init));
    let good = work.path().join("台账.xlsx");
    ledger(
        &good,
        &[
            [
                "0001",
                "张三",
                "",
                "138 0013 8000",
                "阳光花园1栋101",
                "M001",
                "机械表",
                "12.30",
                "0",
            ],
            [
                "0002",
                "李四",
                "",
                "13900139000",
                "阳光花园1栋102",
                "M002",
                "IC卡表",
                "0",
                "45.67",
            ],
            [
                "0003",
                "王五",
                "",
                "13700137000",
                "阳光花园1栋103",
                "M003",
                "物联网表",
                "100",
                "0.01",
            ],
        ],
    )?;
    let file = path_str(&good);
    let data_dir = path_str(&dir);
    let dry = run(&[
        "import",
        "accounts",
        file,
        "--data-dir",
        data_dir,
        "--dry-run",
        "--json",
    ])?;
    assert!(dry.status.success(), "{}", text(&dry));
    let dry = summary(&dry)?;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["rows_read"], 3);
    assert_eq!(dry["rows_new"], 3);
    assert_eq!(dry["balance_sum_file"], "112.30");
    assert_eq!(dry["arrears_sum_file"], "45.68");
    assert!(dry["balance_sum_db"].is_null(), "{dry}");

    let commit = run(&["import", "accounts", file, "--data-dir", data_dir, "--json"])?;
    assert!(commit.status.success(), "{}", text(&commit));
    let commit = summary(&commit)?;
    assert_eq!(
        [
            &commit["rows_new"],
            &commit["rows_updated"],
            &commit["rows_invalid"]
        ],
        [3, 0, 0]
    );
    assert_eq!(commit["balance_sum_db"], "112.30");
    assert_eq!(commit["arrears_sum_db"], "45.68");
    assert_eq!(commit["balanced"], true);

    let again = run(&[
        "import",
        "accounts",
        file,
        "--data-dir",
        data_dir,
        "--on-existing",
        "fail",
        "--json",
    ])?;
    assert!(again.status.success(), "{}", text(&again));
    let again = summary(&again)?;
    assert_eq!([&again["rows_new"], &again["rows_unchanged"]], [0, 3]);

    let bad = work.path().join("bad.xlsx");
    ledger(
        &bad,
        &[
            [
                "0004",
                "赵六",
                "",
                "13600136000",
                "阳光花园2栋101",
                "M004",
                "机械表",
                "5",
                "0",
            ],
            [
                "0005",
                "钱七",
                "1.10105E+17",
                "12345",
                "阳光花园2栋102",
                "M005",
                "机械表",
                "0",
                "0",
            ],
        ],
    )?;
    let report = work.path().join("errors.xlsx");
    let refused = run(&[
        "import",
        "accounts",
        path_str(&bad),
        "--data-dir",
        data_dir,
        "--report",
        path_str(&report),
        "--json",
    ])?;
    assert!(!refused.status.success(), "{}", text(&refused));
    let refused = summary(&refused)?;
    assert_eq!(refused["refused"], true);
    assert_eq!([&refused["rows_read"], &refused["rows_invalid"]], [2, 1]);
    assert!(report.exists(), "the error file is written");

    // An accounts ledger is no payments history: no header names its fields.
    let later = run(&["import", "payments", file, "--data-dir", data_dir])?;
    assert!(!later.status.success());
    assert!(
        text(&later).contains("no header row found"),
        "{}",
        text(&later)
    );
    Ok(())
}

/// A readings sheet below a title: 户号, 表号, 抄表日期, 本次读数.
fn readings_sheet(path: &Path, rows: &[[&str; 4]]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "某燃气公司抄表记录")?;
    for (column, title) in ["户号", "表号", "抄表日期", "本次读数"].iter().enumerate() {
        sheet.write_string(2, column as u16, *title)?;
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(3 + index as u32, column as u16, *value)?;
        }
    }
    workbook.save(path)?;
    Ok(())
}

#[test]
fn import_readings_json_dry_run_commit_reimport_and_refusal() -> anyhow::Result<()> {
    let work = workspace()?;
    let dir = work.path().join("data");
    let init = run(&["init", "--data-dir", path_str(&dir)])?;
    anyhow::ensure!(init.status.success(), "{}", text(&init));
    let data_dir = path_str(&dir);
    let accounts = work.path().join("台账.xlsx");
    ledger(
        &accounts,
        &[
            [
                "0001",
                "张三",
                "",
                "13800138000",
                "阳光花园1栋101",
                "M001",
                "机械表",
                "0",
                "0",
            ],
            [
                "0002",
                "李四",
                "",
                "13900139000",
                "阳光花园1栋102",
                "M002",
                "机械表",
                "0",
                "0",
            ],
        ],
    )?;
    let imported = run(&[
        "import",
        "accounts",
        path_str(&accounts),
        "--data-dir",
        data_dir,
    ])?;
    anyhow::ensure!(imported.status.success(), "{}", text(&imported));

    // Readings before the accounts' opening (the import day): a legacy
    // history whose meters have no installation date.
    let good = work.path().join("抄表记录.xlsx");
    readings_sheet(
        &good,
        &[
            ["0001", "M001", "2022-01-10", "100"],
            ["0001", "", "2022-02-10", "125.5"],
            ["0002", "M002", "2022-01-10", "40"],
        ],
    )?;
    let file = path_str(&good);
    let dry = run(&[
        "import",
        "readings",
        file,
        "--data-dir",
        data_dir,
        "--dry-run",
        "--json",
    ])?;
    assert!(dry.status.success(), "{}", text(&dry));
    let dry = summary(&dry)?;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        [
            &dry["rows_read"],
            &dry["rows_new"],
            &dry["rows_unchanged"],
            &dry["rows_invalid"]
        ],
        [3, 3, 0, 0]
    );
    assert_eq!(dry["consumption_sum_file"], "165.500");
    assert!(dry["consumption_sum_db"].is_null(), "{dry}");

    let commit = run(&["import", "readings", file, "--data-dir", data_dir, "--json"])?;
    assert!(commit.status.success(), "{}", text(&commit));
    let commit = summary(&commit)?;
    assert_eq!([&commit["rows_new"], &commit["rows_invalid"]], [3, 0]);
    assert_eq!(commit["consumption_sum_db"], "165.500");
    assert_eq!(commit["balanced"], true);

    let again = run(&["import", "readings", file, "--data-dir", data_dir, "--json"])?;
    assert!(again.status.success(), "{}", text(&again));
    let again = summary(&again)?;
    assert_eq!([&again["rows_new"], &again["rows_unchanged"]], [0, 3]);
    assert_eq!(again["consumption_sum_db"], "0.000");

    let bad = work.path().join("bad.xlsx");
    readings_sheet(
        &bad,
        &[
            ["0001", "", "2022-03-10", "150"],
            ["0009", "", "2022-03-10", "10"],
            ["0002", "", "2022-13-01", "50"],
        ],
    )?;
    let report = work.path().join("errors.xlsx");
    let refused = run(&[
        "import",
        "readings",
        path_str(&bad),
        "--data-dir",
        data_dir,
        "--report",
        path_str(&report),
        "--json",
    ])?;
    assert!(!refused.status.success(), "{}", text(&refused));
    let refused = summary(&refused)?;
    assert_eq!(refused["refused"], true);
    assert_eq!([&refused["rows_read"], &refused["rows_invalid"]], [3, 2]);
    assert!(report.exists(), "the error file is written");
    Ok(())
}

/// A payments sheet below a title: 用户号, 收费日期, 实收金额, 支付方式, 收据号.
fn payments_sheet(path: &Path, rows: &[[&str; 5]]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "某燃气公司收费记录")?;
    for (column, title) in ["用户号", "收费日期", "实收金额（元）", "支付方式", "收据号"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, column as u16, *title)?;
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(3 + index as u32, column as u16, *value)?;
        }
    }
    workbook.save(path)?;
    Ok(())
}

#[test]
fn import_payments_json_dry_run_commit_reimport_and_refusal() -> anyhow::Result<()> {
    let work = workspace()?;
    let dir = work.path().join("data");
    let init = run(&["init", "--data-dir", path_str(&dir)])?;
    anyhow::ensure!(init.status.success(), "{}", text(&init));
    let data_dir = path_str(&dir);
    let accounts = work.path().join("台账.xlsx");
    ledger(
        &accounts,
        &[
            [
                "0001",
                "张三",
                "",
                "13800138000",
                "阳光花园1栋101",
                "M001",
                "机械表",
                "0",
                "0",
            ],
            [
                "0002",
                "李四",
                "",
                "13900139000",
                "阳光花园1栋102",
                "M002",
                "机械表",
                "0",
                "0",
            ],
        ],
    )?;
    let imported = run(&[
        "import",
        "accounts",
        path_str(&accounts),
        "--data-dir",
        data_dir,
    ])?;
    anyhow::ensure!(imported.status.success(), "{}", text(&imported));

    let good = work.path().join("收费记录.xlsx");
    payments_sheet(
        &good,
        &[
            ["0001", "2022-01-10", "100.10", "现金", "SF001"],
            ["0001", "2022/02/10", "¥1,025.05", "微信", "SF002"],
            ["0002", "20220110", "０.８５", "银行代收", ""],
        ],
    )?;
    let file = path_str(&good);
    let dry = run(&[
        "import",
        "payments",
        file,
        "--data-dir",
        data_dir,
        "--dry-run",
        "--json",
    ])?;
    assert!(dry.status.success(), "{}", text(&dry));
    let dry = summary(&dry)?;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        [
            &dry["rows_read"],
            &dry["rows_new"],
            &dry["rows_unchanged"],
            &dry["rows_invalid"]
        ],
        [3, 3, 0, 0]
    );
    assert_eq!(dry["amount_sum_file"], "1126.00");
    assert!(dry["amount_sum_db"].is_null(), "{dry}");

    let commit = run(&["import", "payments", file, "--data-dir", data_dir, "--json"])?;
    assert!(commit.status.success(), "{}", text(&commit));
    let commit = summary(&commit)?;
    assert_eq!([&commit["rows_new"], &commit["rows_invalid"]], [3, 0]);
    assert_eq!(commit["amount_sum_file"], "1126.00");
    assert_eq!(commit["amount_sum_db"], "1126.00");
    assert_eq!(commit["balanced"], true);

    let again = run(&["import", "payments", file, "--data-dir", data_dir, "--json"])?;
    assert!(again.status.success(), "{}", text(&again));
    let again = summary(&again)?;
    assert_eq!([&again["rows_new"], &again["rows_unchanged"]], [0, 3]);
    assert_eq!(again["amount_sum_db"], "0.00");

    let bad = work.path().join("bad.xlsx");
    payments_sheet(
        &bad,
        &[
            ["0001", "2022-03-10", "50", "现金", "SF003"],
            ["0009", "2022-03-10", "10", "现金", "SF004"],
            ["0002", "2022-03-10", "12.345", "现金", "SF005"],
            ["0002", "2022-03-11", "20", "支票", "SF002"],
        ],
    )?;
    let report = work.path().join("errors.xlsx");
    let refused = run(&[
        "import",
        "payments",
        path_str(&bad),
        "--data-dir",
        data_dir,
        "--report",
        path_str(&report),
        "--json",
    ])?;
    assert!(!refused.status.success(), "{}", text(&refused));
    let refused = summary(&refused)?;
    assert_eq!(refused["refused"], true);
    assert_eq!([&refused["rows_read"], &refused["rows_invalid"]], [4, 3]);
    assert!(report.exists(), "the error file is written");
    Ok(())
}

/// A generated accounts ledger of `rows` records in the layout of
/// [`ledger`]; returns the file's balance and arrears sums.
fn generated_ledger(path: &Path, rows: usize) -> anyhow::Result<(String, String)> {
    let fen = |value: usize| format!("{}.{:02}", value / 100, value % 100);
    let (mut balance, mut arrears) = (0, 0);
    let owned: Vec<[String; 9]> = (1..=rows)
        .map(|i| {
            let (b, a) = (i * 101 % 100_000, if i % 3 == 0 { i * 7 } else { 0 });
            balance += b;
            arrears += a;
            [
                format!("{:06}", 200_000 + i),
                format!("用户{i}"),
                String::new(),
                format!("139{i:08}"),
                format!("幸福小区{}栋{}", i / 100 + 1, i % 100 + 100),
                format!("MK{i:06}"),
                "机械表".to_owned(),
                fen(b),
                fen(a),
            ]
        })
        .collect();
    let refs: Vec<[&str; 9]> = owned
        .iter()
        .map(|row| std::array::from_fn(|column| row[column].as_str()))
        .collect();
    ledger(path, &refs)?;
    Ok((fen(balance), fen(arrears)))
}

/// Runs an import with `args`, sends `signal` once its stderr says at
/// least `rows` valid rows are committed, and returns how it ended and
/// everything it said on stderr.
fn import_until(
    args: &[&str],
    rows: usize,
    signal: nix::sys::signal::Signal,
) -> anyhow::Result<(std::process::ExitStatus, String)> {
    use std::io::BufRead;
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let mut said = String::new();
    let mut sent = false;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        let done = line
            .strip_prefix("committed ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok());
        said.push_str(&line);
        said.push('\n');
        if !sent && done.is_some_and(|done| done >= rows) {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(i32::try_from(child.id())?),
                signal,
            )?;
            sent = true;
        }
    }
    anyhow::ensure!(sent, "the import ended before {rows} rows: {said}");
    Ok((child.wait()?, said))
}

#[test]
fn import_in_chunks_resumes_after_ctrl_c_and_a_kill_with_json() -> anyhow::Result<()> {
    let work = workspace()?;
    let dir = work.path().join("data");
    let port = free_port()?;
    let init = run(&[
        "init",
        "--data-dir",
        path_str(&dir),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])?;
    anyhow::ensure!(init.status.success(), "{}", text(&init));
    // The cluster runs with the server, so the killed import takes only
    // its own connection down.
    let _serving = Serving::start(&dir)?;
    let up = wait_for_status(&dir, true)?;
    anyhow::ensure!(up.status.success(), "{}", text(&up));
    let rows = 400;
    let path = work.path().join("大台账.xlsx");
    let (balance, arrears) = generated_ledger(&path, rows)?;
    let (file, data_dir) = (path_str(&path), path_str(&dir));

    // Ctrl-C (SIGINT) once the second chunk of ten is committed: the chunk
    // in progress rolls back and the message says how to resume.
    let (interrupted, said) = import_until(
        &[
            "import",
            "accounts",
            file,
            "--data-dir",
            data_dir,
            "--chunk-rows",
            "10",
        ],
        20,
        nix::sys::signal::Signal::SIGINT,
    )?;
    assert!(!interrupted.success(), "{said}");
    assert!(
        said.contains("cancelling: the chunk in progress rolls back"),
        "{said}"
    );
    assert!(said.contains("was cancelled"), "{said}");
    let stopped_after: u64 = said
        .split("resume after row ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|row| row.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no row to resume after: {said}"))?;
    // Data rows start on sheet row 4: two chunks of ten end on row 23.
    assert!(stopped_after >= 23, "{said}");

    // Resumed, then SIGKILL two chunks later: nothing can be said, the
    // chunk in progress dies with the connection.
    let (killed, said) = import_until(
        &[
            "import",
            "accounts",
            file,
            "--data-dir",
            data_dir,
            "--chunk-rows",
            "10",
            "--json",
        ],
        stopped_after as usize - 3 + 20,
        nix::sys::signal::Signal::SIGKILL,
    )?;
    assert!(!killed.success(), "killed mid-way: {said}");

    // The same file again, in chunks of 25: it resumes after the last
    // committed chunk and certifies the whole file.
    let resumed = run(&[
        "import",
        "accounts",
        file,
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "25",
        "--json",
    ])?;
    assert!(resumed.status.success(), "{}", text(&resumed));
    let summary_of_resume = summary(&resumed)?;
    let from = summary_of_resume["resumed_from_row"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("not resumed: {summary_of_resume}"))?;
    assert!(
        from >= stopped_after + 20 && from < 3 + rows as u64,
        "{summary_of_resume}"
    );
    let import_id = summary_of_resume["import_id"].as_u64().unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&resumed.stderr)
            .contains(&format!("resumed import #{import_id} after row {from}")),
        "{}",
        text(&resumed)
    );
    let earlier = (from - 3) / 10;
    let now = (3 + rows as u64 - from).div_ceil(25);
    assert_eq!(
        [
            &summary_of_resume["chunks"],
            &summary_of_resume["chunks_now"],
            &summary_of_resume["chunk_rows"]
        ],
        [earlier + now, now, 25],
        "{summary_of_resume}"
    );
    assert_eq!(
        [
            &summary_of_resume["rows_read"],
            &summary_of_resume["rows_new"],
            &summary_of_resume["rows_unchanged"],
            &summary_of_resume["rows_invalid"]
        ],
        [rows, rows, 0, 0],
        "the certificate covers every chunk, none written twice"
    );
    assert_eq!(summary_of_resume["balance_sum_file"], balance.as_str());
    assert_eq!(summary_of_resume["balance_sum_db"], balance.as_str());
    assert_eq!(summary_of_resume["arrears_sum_file"], arrears.as_str());
    assert_eq!(summary_of_resume["arrears_sum_db"], arrears.as_str());
    assert_eq!(summary_of_resume["balanced"], true);

    // Finished: the file again is a new import that changes nothing.
    let again = run(&[
        "import",
        "accounts",
        file,
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "150",
        "--json",
    ])?;
    assert!(again.status.success(), "{}", text(&again));
    let again = summary(&again)?;
    assert!(again["resumed_from_row"].is_null(), "{again}");
    assert_eq!(
        [
            &again["rows_new"],
            &again["rows_unchanged"],
            &again["chunks"]
        ],
        [0, rows, 3]
    );
    assert_ne!(again["import_id"].as_u64(), Some(import_id));

    // A payments history commits in chunks too.
    let history = work.path().join("收费记录.xlsx");
    payments_sheet(
        &history,
        &[
            ["200001", "2022-01-05", "30.00", "现金", "SF001"],
            ["200002", "2022-01-06", "45.50", "微信", "SF002"],
            ["200003", "2022-01-07", "12.34", "支付宝", ""],
        ],
    )?;
    let paid = run(&[
        "import",
        "payments",
        path_str(&history),
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "2",
        "--json",
    ])?;
    assert!(paid.status.success(), "{}", text(&paid));
    let paid = summary(&paid)?;
    assert_eq!(
        [&paid["rows_new"], &paid["chunks"], &paid["chunk_rows"]],
        [3, 2, 2],
        "{paid}"
    );
    assert_eq!(paid["amount_sum_db"], "87.84");
    assert_eq!(paid["balanced"], true);

    // A readings history commits in chunks of whole accounts: three
    // readings each for 40 accounts, out of date order and spread over
    // the file; Ctrl-C after two chunks, then a resume.
    let readings = work.path().join("抄表记录.xlsx");
    let months = ["2022-03-10", "2022-01-10", "2022-02-10"];
    let owned: Vec<[String; 4]> = (0..3)
        .flat_map(|m| {
            (1..=40).map(move |i| {
                [
                    format!("{:06}", 200_000 + i),
                    String::new(),
                    months[m].to_owned(),
                    format!("{}", [300, 100, 200][m] + i % 10),
                ]
            })
        })
        .collect();
    let refs: Vec<[&str; 4]> = owned
        .iter()
        .map(|row| std::array::from_fn(|column| row[column].as_str()))
        .collect();
    readings_sheet(&readings, &refs)?;
    let readings_file = path_str(&readings);
    let (interrupted, said) = import_until(
        &[
            "import",
            "readings",
            readings_file,
            "--data-dir",
            data_dir,
            "--chunk-rows",
            "10",
        ],
        24,
        nix::sys::signal::Signal::SIGINT,
    )?;
    assert!(!interrupted.success(), "{said}");
    assert!(said.contains("was cancelled"), "{said}");
    let accounts_done: u64 = said
        .split("with the readings of the first ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no accounts to resume after: {said}"))?;
    // Chunks of at least ten rows are four accounts of three readings.
    assert!(
        (8..40).contains(&accounts_done) && accounts_done.is_multiple_of(4),
        "{said}"
    );
    let resumed = run(&[
        "import",
        "readings",
        readings_file,
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "7",
        "--json",
    ])?;
    assert!(resumed.status.success(), "{}", text(&resumed));
    let resumed_summary = summary(&resumed)?;
    assert_eq!(
        resumed_summary["resumed_after_accounts"], accounts_done,
        "{resumed_summary}"
    );
    assert!(resumed_summary["resumed_from_row"].is_null());
    // Chunks of at least seven rows are three accounts.
    let now = (40 - accounts_done).div_ceil(3);
    assert_eq!(
        [
            &resumed_summary["chunks"],
            &resumed_summary["chunks_now"],
            &resumed_summary["chunk_rows"]
        ],
        [accounts_done / 4 + now, now, 7],
        "{resumed_summary}"
    );
    assert_eq!(
        [
            &resumed_summary["rows_read"],
            &resumed_summary["rows_new"],
            &resumed_summary["rows_unchanged"],
            &resumed_summary["rows_invalid"]
        ],
        [120, 120, 0, 0],
        "every reading once: {resumed_summary}"
    );
    // Each account from 0 to its March reading: 40 × 300 + 4 × 45.
    assert_eq!(resumed_summary["consumption_sum_file"], "12180.000");
    assert_eq!(resumed_summary["consumption_sum_db"], "12180.000");
    assert_eq!(resumed_summary["balanced"], true);
    assert!(
        String::from_utf8_lossy(&resumed.stderr).contains(&format!(
            "after the readings of its first {accounts_done} account(s)"
        )),
        "{}",
        text(&resumed)
    );
    let again = run(&[
        "import",
        "readings",
        readings_file,
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "50",
        "--json",
    ])?;
    assert!(again.status.success(), "{}", text(&again));
    let again = summary(&again)?;
    assert_eq!(
        [
            &again["rows_new"],
            &again["rows_unchanged"],
            &again["chunks"]
        ],
        [0, 120, 3],
        "{again}"
    );
    assert_eq!(again["consumption_sum_db"], "0.000");

    let zero = run(&[
        "import",
        "accounts",
        file,
        "--data-dir",
        data_dir,
        "--chunk-rows",
        "0",
    ])?;
    assert!(!zero.status.success());
    assert!(text(&zero).contains("--chunk-rows"), "{}", text(&zero));
    Ok(())
}
