//! Headless UI tests of the import area (数据导入) with iced_test's
//! simulator: clicks go through the real widgets, their messages through
//! the real `update`, and the server's answers are fed back as the
//! messages the api tasks would produce.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gascis::api::import::RunEvent;
use gascis::api::{ApiError, Session};
use gascis::app::{App, Message, Screen};
use gascis::screen::home;
use gascis::screen::import::{self, Import, RunKind, Step};
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::Size;
use iced_test::Simulator;

/// Tall enough for a whole dry-run report.
const SCREEN: Size = Size::new(1280.0, 2400.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const SIGNED_IN: sim::Person = sim::Person {
    id: 8,
    username: "zhaomin",
    display_name: "赵敏",
};

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn click_text(app: &mut App, label: &str) -> Vec<Message> {
    sim::click_text(app, SCREEN, label)
}

fn type_into(app: &mut App, id: &str, text: &str) {
    sim::type_into(app, SCREEN, id, text)
}

fn session(roles: Vec<Role>) -> (tokio::runtime::Runtime, Session) {
    sim::session(&SIGNED_IN, roles)
}

/// An app logged in as back office, on the 数据导入 area.
fn import_app() -> (tokio::runtime::Runtime, App) {
    sim::signed_in(&SIGNED_IN, vec![Role::BackOffice], home::Area::Import)
}

const LEDGER: &str = "/data/台账/2023年用户台账.xlsx";

fn to_import(message: import::Message) -> Message {
    Message::Home(home::Message::import(message))
}

fn import_of(app: &App) -> &Import {
    match app.screen() {
        Screen::Home(home) => home.import().expect("the import area is open to this user"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// The import messages among `messages`.
fn import_messages(messages: &[Message]) -> Vec<&import::Message> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Home(home::Message::Import(message)) => Some(message.as_ref()),
            _ => None,
        })
        .collect()
}

fn uploaded() -> pb::UploadedFile {
    pb::UploadedFile {
        upload_id: 31,
        file_name: "2023年用户台账.xlsx".into(),
        size_bytes: 32_256,
        sheets: vec!["用户台账".into(), "说明".into()],
    }
}

fn field(key: &str, label: &str, required: bool, header: &str) -> pb::ImportFieldColumn {
    pb::ImportFieldColumn {
        field: key.into(),
        label: label.into(),
        required,
        header: header.into(),
    }
}

/// The ledger of the fixtures: header in row 4 with decorated synonyms;
/// the meter column is not recognised (a typo in its header).
fn inspected() -> pb::InspectImportFileResponse {
    pb::InspectImportFileResponse {
        sheet: "用户台账".into(),
        header_row: 4,
        headers: [
            "序号",
            "＊用户编号",
            "客户名称",
            "用气性质",
            "身份证号",
            "＊联系电话（必填）",
            "安装地址",
            "表具編号",
            "表具类型",
            "底数",
            "预存款(元)",
            "欠费金额",
            "人口数",
            "开户日期\n（年-月-日）",
            "备注",
        ]
        .map(String::from)
        .to_vec(),
        fields: vec![
            field("account_no", "户号", true, "＊用户编号"),
            field("customer_name", "户名", true, "客户名称"),
            field("customer_type", "用户类型", false, "用气性质"),
            field("id_number", "证件号码", false, "身份证号"),
            field("phone", "联系电话", true, "＊联系电话（必填）"),
            field("address", "用气地址", true, "安装地址"),
            field("district", "区县", false, ""),
            field("meter_no", "表号", true, ""),
            field("meter_type", "表类型", true, "表具类型"),
            field("initial_reading", "初始读数", false, "底数"),
            field("card_no", "卡号", false, ""),
            field("household_size", "人口数", false, "人口数"),
            field("opened_on", "开户日期", false, "开户日期\n（年-月-日）"),
            field("balance", "余额", false, "预存款(元)"),
            field("arrears", "欠费", false, "欠费金额"),
        ],
        data_rows: 11,
    }
}

/// A dry run of the fixture ledger: nine new accounts, one row whose
/// identity number Excel turned into a float.
fn dry_run_report() -> pb::ImportReport {
    let new_row = |row: i32, account_no: &str| pb::ImportPreviewRow {
        row,
        account_no: account_no.into(),
        outcome: "new".into(),
        differences: vec![],
    };
    pb::ImportReport {
        import_id: 0,
        dry_run: true,
        rows_read: 10,
        rows_new: 8,
        rows_updated: 1,
        rows_unchanged: 0,
        rows_skipped: 0,
        rows_invalid: 1,
        file_balance: "6822.10".into(),
        file_arrears: "1236.55".into(),
        db_balance: "0".into(),
        db_arrears: "0".into(),
        balanced: false,
        errors: vec![pb::ImportRowError {
            row: 8,
            field: "id_number".into(),
            value: "1.10105E+17".into(),
            reason: "'1.10105E+17' was stored by Excel as a number and has lost its last digits; format the column as text and type the numbers again".into(),
        }],
        preview: vec![
            new_row(5, "2000001"),
            pb::ImportPreviewRow {
                row: 6,
                account_no: "2000002".into(),
                outcome: "updated".into(),
                differences: vec![
                    "name: 王芳 → 王芳芳".into(),
                    "phone: 138****5678 → 139****2231".into(),
                ],
            },
            new_row(7, "2000003"),
            new_row(10, "2000005"),
            new_row(11, "2000006"),
            new_row(12, "2000007"),
            new_row(13, "2000008"),
            new_row(14, "2000009"),
            new_row(15, "2000010"),
        ],
        error_file: b"PK\x03\x04 an xlsx".to_vec(),
        refused: false,
        ..pb::ImportReport::default()
    }
}

fn import_report(balanced: bool) -> pb::ImportReport {
    pb::ImportReport {
        import_id: 12,
        dry_run: false,
        db_balance: if balanced { "6822.10" } else { "6700.00" }.into(),
        db_arrears: "1236.55".into(),
        balanced,
        ..dry_run_report()
    }
}

/// Types the ledger's path, clicks 上传并识别 and feeds the server's answers.
fn upload_and_inspect(app: &mut App) {
    feed(
        app,
        [to_import(import::Message::PathChanged(LEDGER.into()))],
    );
    let clicked = click_text(app, "上传并识别");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::Upload)),
        "the button asks for the upload"
    );
    assert_eq!(import_of(app).busy(), Some(import::Busy::Uploading));
    assert!(shows(app, "正在上传…"));
    feed(app, [to_import(import::Message::Uploaded(Ok(uploaded())))]);
    assert_eq!(import_of(app).busy(), Some(import::Busy::Inspecting));
    feed(
        app,
        [to_import(import::Message::Inspected(Ok(inspected())))],
    );
}

/// Maps the meter column, then runs the dry run with `report` as its end.
fn dry_run(app: &mut App, report: pb::ImportReport) {
    feed(
        app,
        [to_import(import::Message::ColumnChosen {
            field: "meter_no".into(),
            header: Some("表具編号".into()),
        })],
    );
    let _ = click_text(app, "下一步：预检");
    let clicked = click_text(app, "开始预检");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::StartDryRun))
    );
    let run = import_of(app).run().expect("the dry run goes").id;
    feed(
        app,
        [to_import(import::Message::Run {
            run,
            event: RunEvent::Finished(Ok(Box::new(report))),
        })],
    );
}

#[test]
fn the_area_is_for_back_office_only() {
    let (_runtime, session) = session(vec![Role::Cashier, Role::Supervisor]);
    let (home, _task) = home::Home::new(session);
    assert!(home.import().is_none());
    assert!(!home.areas().contains(&home::Area::Import));
}

#[test]
fn a_path_is_checked_before_anything_is_sent() {
    let (_runtime, mut app) = import_app();
    assert!(shows(&app, "选择文件"));
    assert!(shows(&app, "用户台账"));

    let _ = click_text(&mut app, "上传并识别");
    assert!(shows(&app, "请填写要导入的文件路径，或点击“浏览…”选择文件"));
    assert_eq!(import_of(&app).busy(), None);

    type_into(&mut app, import::PATH_INPUT, "台账.csv");
    let _ = click_text(&mut app, "上传并识别");
    assert!(shows(&app, "只能导入 .xlsx、.xlsm、.xls 或 .ods 文件"));
    assert_eq!(import_of(&app).busy(), None);
}

#[test]
fn an_upload_opens_the_mapping_with_the_fields() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);

    let import = import_of(&app);
    assert_eq!(import.step(), Step::Mapping);
    assert!(shows(&app, "2023年用户台账.xlsx"));
    assert!(shows(&app, "表头在第 4 行，其下 11 行数据"));
    for label in [
        "户号",
        "户名",
        "联系电话",
        "用气地址",
        "表号",
        "余额",
        "欠费",
    ] {
        assert!(shows(&app, label), "the field {label} is listed");
    }
    assert!(shows(&app, "自动识别"));
    // The meter column was not recognised: the required field is marked,
    // and the check cannot run.
    assert!(shows(&app, "缺少必填列"));
    assert!(shows(
        &app,
        "必填字段 表号 还没有对应的列，请在“Excel 列”中选择，否则不能预检"
    ));
    assert!(!import.can_run());
    let clicked = click_text(&mut app, "下一步：预检");
    assert!(import_messages(&clicked).is_empty(), "the way on is shut");

    // The user maps it; the change is marked and will be sent.
    feed(
        &mut app,
        [to_import(import::Message::ColumnChosen {
            field: "meter_no".into(),
            header: Some("表具編号".into()),
        })],
    );
    assert!(!shows(&app, "缺少必填列"));
    assert!(shows(&app, "已修改"));
    let settings = import_of(&app).settings().unwrap();
    assert_eq!(settings.upload_id, 31);
    assert_eq!(settings.sheet, "用户台账");
    assert!(
        settings
            .mapping
            .contains(&("meter_no".to_owned(), "表具編号".to_owned()))
    );
    assert_eq!(
        settings.mapping.len(),
        13,
        "every field with a column is sent once anything changed"
    );

    // Back to automatic: nothing is sent, and the meter is missing again.
    let _ = click_text(&mut app, "恢复自动识别");
    assert!(import_of(&app).settings().unwrap().mapping.is_empty());
    assert!(shows(&app, "缺少必填列"));
}

#[test]
fn a_dry_run_shows_counts_preview_and_errors() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    feed(
        &mut app,
        [to_import(import::Message::ColumnChosen {
            field: "meter_no".into(),
            header: Some("表具編号".into()),
        })],
    );
    let _ = click_text(&mut app, "下一步：预检");
    assert_eq!(import_of(&app).step(), Step::DryRun);
    let _ = click_text(&mut app, "跳过");
    assert!(shows(&app, "档案保持不变，这些行计为“跳过”"));
    let _ = click_text(&mut app, "开始预检");
    let run = import_of(&app).run().unwrap();
    assert_eq!(run.kind, RunKind::DryRun);
    assert_eq!(run.settings.policy, pb::ImportPolicy::Skip);
    let id = run.id;
    assert!(shows(&app, "正在开始…"));

    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Progressed(pb::ImportProgress {
                phase: "validating".into(),
                done: 5,
                total: 10,
            }),
        })],
    );
    assert!(shows(&app, "校验数据 5 / 10"));
    assert!(shows(&app, "取消"));

    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(dry_run_report()))),
        })],
    );
    assert!(import_of(&app).run().is_none());
    assert!(shows(&app, "预检结果"));
    for (count, label) in [("10", "读取"), ("8", "新增"), ("1", "无效")] {
        assert!(shows(&app, count), "{label} {count}");
        assert!(shows(&app, label));
    }
    assert!(shows(&app, "¥6,822.10"));
    assert!(shows(&app, "¥1,236.55"));
    // The preview, with differences named in Chinese.
    assert!(shows(&app, "2000001"));
    assert!(shows(
        &app,
        "户名：王芳 → 王芳芳\n联系电话：138****5678 → 139****2231"
    ));
    // The error: row, field label, value as shown in Excel, reason.
    assert!(shows(&app, "证件号码"));
    assert!(shows(&app, "1.10105E+17"));
    assert!(shows(
        &app,
        "被 Excel 存成了数字，末几位已丢失；请将该列设为文本格式后重新录入"
    ));
    // The error file goes beside the ledger by default.
    assert!(shows(&app, "/data/台账/2023年用户台账-错误行.xlsx"));
    assert!(shows(&app, "保存错误文件"));
    let clicked = click_text(&mut app, "保存错误文件");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::SaveErrorFile))
    );
    assert_eq!(import_of(&app).busy(), Some(import::Busy::SavingErrorFile));
    feed(
        &mut app,
        [to_import(import::Message::ErrorFileSaved(Ok(
            "/data/台账/2023年用户台账-错误行.xlsx".into(),
        )))],
    );
    assert!(shows(
        &app,
        "错误文件已保存到：/data/台账/2023年用户台账-错误行.xlsx"
    ));

    // Changing the policy makes the dry run stale: no import until re-run.
    assert!(import_of(&app).dry_run_is_current());
    feed(
        &mut app,
        [to_import(import::Message::PolicySelected(
            pb::ImportPolicy::Update,
        ))],
    );
    assert!(!import_of(&app).dry_run_is_current());
    assert!(shows(&app, "工作表、列映射或处理方式已改变，请重新预检"));
    assert!(!import_of(&app).is_reachable(Step::Import));
}

#[test]
fn cancel_drops_the_run_and_says_nothing_was_written() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    feed(
        &mut app,
        [to_import(import::Message::ColumnChosen {
            field: "meter_no".into(),
            header: Some("表具編号".into()),
        })],
    );
    let _ = click_text(&mut app, "下一步：预检");
    let _ = click_text(&mut app, "开始预检");
    let id = import_of(&app).run().unwrap().id;

    let clicked = click_text(&mut app, "取消");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::Cancel))
    );
    assert!(import_of(&app).run().is_none());
    assert!(shows(&app, "已取消，未写入任何数据"));

    // A late word of the cancelled run changes nothing.
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(dry_run_report()))),
        })],
    );
    assert!(import_of(&app).dry_run().is_none());
    assert!(!shows(&app, "预检结果"));
}

#[test]
fn the_last_merge_step_cannot_be_cancelled() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    dry_run(&mut app, dry_run_report());
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::Import)),
            to_import(import::Message::PartialToggled(true)),
            to_import(import::Message::StartImport),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    let progress = |phase: &str, done, total| {
        to_import(import::Message::Run {
            run: id,
            event: RunEvent::Progressed(pb::ImportProgress {
                phase: phase.into(),
                done,
                total,
            }),
        })
    };
    feed(&mut app, [progress("merging", 3, 9)]);
    assert!(import_of(&app).run().unwrap().can_cancel());
    assert!(shows(&app, "合并到档案 3 / 9"));
    feed(&mut app, [progress("merging", 8, 9)]);
    assert!(!import_of(&app).run().unwrap().can_cancel());
    assert!(shows(&app, "正在提交，已不能取消"));
    feed(&mut app, [to_import(import::Message::Cancel)]);
    assert!(import_of(&app).run().is_some(), "the run goes on");
}

#[test]
fn a_refused_import_explains_why_nothing_was_imported() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    dry_run(&mut app, dry_run_report());

    let _ = click_text(&mut app, "下一步：导入");
    assert_eq!(import_of(&app).step(), Step::Import);
    assert!(shows(
        &app,
        "预检发现 1 行无效：不勾选“只导入有效行”时，将不导入任何数据。"
    ));
    let clicked = click_text(&mut app, "开始导入");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::StartImport))
    );
    let run = import_of(&app).run().unwrap();
    assert_eq!(run.kind, RunKind::Import);
    let id = run.id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(pb::ImportReport {
                rows_invalid: 1,
                refused: true,
                dry_run: true,
                error_file: b"PK\x03\x04 an xlsx".to_vec(),
                ..pb::ImportReport::default()
            }))),
        })],
    );
    assert!(shows(
        &app,
        "有 1 行无效，本次未导入任何数据。请保存错误文件，改正后重新导入；或勾选“只导入有效行”，先导入有效的行。"
    ));
    assert!(shows(&app, "保存错误文件"));
    assert!(!shows(&app, "对账凭证"));

    // Ticking 只导入有效行 lets the valid rows go in.
    feed(&mut app, [to_import(import::Message::PartialToggled(true))]);
    assert!(import_of(&app).can_import());
}

#[test]
fn the_certificate_says_balanced() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    dry_run(&mut app, dry_run_report());
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::Import)),
            to_import(import::Message::PartialToggled(true)),
        ],
    );
    let _ = click_text(&mut app, "开始导入");
    let run = import_of(&app).run().unwrap();
    let request = &run.request;
    assert!(!request.dry_run && request.partial, "what the screen sends");
    let id = run.id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(import_report(true)))),
        })],
    );
    assert!(shows(&app, "对账凭证"));
    assert!(shows(&app, "导入编号 12"));
    assert!(shows(&app, "平衡"));
    assert!(!shows(&app, "不平衡"));
    assert!(shows(&app, "文件与数据库的预存款、欠费合计一致到分。"));
    assert!(shows(
        &app,
        "导入完成：新增 8，更新 1，未变 0，跳过 0，无效 1"
    ));
    assert!(
        !import_of(&app).can_import(),
        "the same file is not imported twice by a second click"
    );

    let _ = click_text(&mut app, "导入其他文件");
    assert_eq!(import_of(&app).step(), Step::ChooseFile);
    assert!(import_of(&app).upload().is_none());
}

#[test]
fn a_huge_ledger_commits_in_batches_cancels_per_batch_and_resumes() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    dry_run(&mut app, dry_run_report());
    let _ = click_text(&mut app, "下一步：导入");
    assert!(shows(
        &app,
        "导入在一个事务中完成：出错或取消时不写入任何数据。"
    ));
    let clicked = click_text(&mut app, "分批提交（每批 10,000 行）");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::ChunkedToggled(true)))
    );
    assert!(import_of(&app).chunked());
    assert!(shows(&app, "分批导入：出错或取消时只回滚当前批次。"));
    feed(&mut app, [to_import(import::Message::PartialToggled(true))]);
    let _ = click_text(&mut app, "开始导入");
    let run = import_of(&app).run().unwrap();
    assert_eq!(
        run.request.chunk_rows,
        import::CHUNK_ROWS,
        "what the screen sends"
    );
    let id = run.id;
    // Unlike all or nothing, the last merge step of a batch can still be
    // cancelled: only that batch rolls back.
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Progressed(pb::ImportProgress {
                phase: "merging".into(),
                done: 8,
                total: 9,
            }),
        })],
    );
    assert!(import_of(&app).run().unwrap().can_cancel());
    let _ = click_text(&mut app, "取消");
    assert!(import_of(&app).run().is_none());
    assert!(shows(
        &app,
        "已取消：当前批次已回滚，已提交的批次保留；再次分批导入同一文件即从中断处继续"
    ));

    // Started again, the server resumes after the committed batches.
    let _ = click_text(&mut app, "开始导入");
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(pb::ImportReport {
                chunks: 3,
                resumed_from_row: Some(40_003),
                ..import_report(true)
            }))),
        })],
    );
    assert!(shows(
        &app,
        "分 3 批提交；从第 40003 行之后续传，之前已提交的行未重复写入"
    ));
    assert!(shows(&app, "平衡"));

    // The next file starts all or nothing again.
    let _ = click_text(&mut app, "导入其他文件");
    assert!(
        !import_of(&app).chunked(),
        "a new file starts all or nothing"
    );
}

#[test]
fn an_unbalanced_certificate_is_flagged() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    dry_run(&mut app, dry_run_report());
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::Import)),
            to_import(import::Message::PartialToggled(true)),
            to_import(import::Message::StartImport),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(import_report(false)))),
        })],
    );
    assert!(shows(&app, "不平衡"));
    assert!(shows(&app, "¥6,700.00"));
    assert!(shows(
        &app,
        "文件与数据库的合计不一致。请暂停收费业务，保存本页截图并联系信息中心核查。"
    ));
}

/// A payments history below title rows; every field recognised.
fn payments_inspected() -> pb::InspectImportFileResponse {
    pb::InspectImportFileResponse {
        sheet: "收费记录".into(),
        header_row: 4,
        headers: [
            "序号",
            "用户号",
            "收费日期",
            "实收金额（元）",
            "支付方式",
            "收据号",
            "收费员",
        ]
        .map(String::from)
        .to_vec(),
        fields: vec![
            field("account_no", "户号", true, "用户号"),
            field("paid_on", "缴费日期", true, "收费日期"),
            field("amount", "金额", true, "实收金额（元）"),
            field("channel", "缴费方式", false, "支付方式"),
            field("receipt_no", "票据号", false, "收据号"),
            field("cashier", "收费员", false, "收费员"),
        ],
        data_rows: 5,
    }
}

/// A readings history: account, date and reading recognised.
fn readings_inspected() -> pb::InspectImportFileResponse {
    pb::InspectImportFileResponse {
        sheet: "抄表记录".into(),
        header_row: 1,
        headers: ["户号", "抄表日期", "本次读数"].map(String::from).to_vec(),
        fields: vec![
            field("account_no", "户号", true, "户号"),
            field("meter_no", "表号", false, ""),
            field("read_on", "抄表日期", true, "抄表日期"),
            field("reading", "本次读数", true, "本次读数"),
            field("reader", "抄表员", false, ""),
        ],
        data_rows: 3,
    }
}

/// Picks `kind`, uploads and inspects with `inspection`, and runs the dry
/// run and the import with the two reports; returns the two requests sent.
fn run_history(
    app: &mut App,
    kind_label: &str,
    inspection: pb::InspectImportFileResponse,
    dry: pb::ImportReport,
    done: pb::ImportReport,
) -> (pb::RunImportRequest, pb::RunImportRequest) {
    let _ = click_text(app, kind_label);
    feed(
        app,
        [
            to_import(import::Message::PathChanged(LEDGER.into())),
            to_import(import::Message::Upload),
            to_import(import::Message::Uploaded(Ok(uploaded()))),
            to_import(import::Message::Inspected(Ok(inspection))),
        ],
    );
    assert!(import_of(app).can_run(), "every required field is mapped");
    let _ = click_text(app, "下一步：预检");
    // No choice for rows already there: history is never overwritten.
    assert!(!shows(app, "档案中已有该户号、且与文件不一致时"));
    assert!(shows(
        app,
        "以前导入过的相同记录保持不变；同一日期（或同一票据号）内容不同的记录会被拒绝，不会覆盖。"
    ));
    let clicked = click_text(app, "开始预检");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::StartDryRun))
    );
    let run = import_of(app).run().expect("the dry run goes");
    let dry_request = run.request.clone();
    let id = run.id;
    feed(
        app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(dry))),
        })],
    );
    feed(app, [to_import(import::Message::GoTo(Step::Import))]);
    let _ = click_text(app, "开始导入");
    let run = import_of(app).run().expect("the import goes");
    let request = run.request.clone();
    let id = run.id;
    feed(
        app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(done))),
        })],
    );
    (dry_request, request)
}

#[test]
fn a_payments_history_runs_end_to_end_with_the_amount_certificate() {
    let (_runtime, mut app) = import_app();
    let _ = click_text(&mut app, "缴费记录");
    assert_eq!(import_of(&app).kind(), pb::ImportKind::Payments);
    assert!(shows(
        &app,
        "缴费记录作为历史保存，不改变任何余额：导入用户台账时的预存款和欠费已经包含了这些缴费。收费台查询该户缴费时显示为“历史导入”。请先导入用户台账。"
    ));
    let clicked = click_text(&mut app, "下载模板");
    assert!(
        import_messages(&clicked)
            .iter()
            .any(|message| matches!(message, import::Message::DownloadTemplate))
    );
    feed(
        &mut app,
        [to_import(import::Message::TemplateSaved(Ok(
            "/home/zhaomin/Downloads/缴费记录导入模板.xlsx".into(),
        )))],
    );

    let dry = pb::ImportReport {
        dry_run: true,
        rows_read: 5,
        rows_new: 4,
        rows_invalid: 1,
        amount_file: "1126.00".into(),
        errors: vec![pb::ImportRowError {
            row: 7,
            field: "channel".into(),
            value: "支票".into(),
            reason: "'支票' is not one of 现金/银行卡/微信/支付宝/银行代收/网上缴费/其他".into(),
        }],
        preview: vec![pb::ImportPreviewRow {
            row: 5,
            account_no: "0001".into(),
            outcome: "new".into(),
            differences: vec!["2022-01-10 100.10 cash SF001".into()],
        }],
        ..pb::ImportReport::default()
    };
    let done = pb::ImportReport {
        import_id: 41,
        dry_run: false,
        amount_db: "1126.00".into(),
        balanced: true,
        ..dry.clone()
    };
    let (dry_request, request) = run_history(
        &mut app,
        "缴费记录",
        payments_inspected(),
        dry.clone(),
        done,
    );
    assert_eq!(dry_request.kind, pb::ImportKind::Payments as i32);
    assert!(dry_request.dry_run);
    assert_eq!(request.kind, pb::ImportKind::Payments as i32);
    assert!(!request.dry_run);

    // The import's page: the amount certificate, not the balances'.
    assert!(shows(&app, "对账凭证"));
    assert!(shows(&app, "导入编号 41"));
    assert!(shows(&app, "缴费金额"));
    assert!(shows(&app, "¥1,126.00"));
    assert!(!shows(&app, "预存款"));
    assert!(shows(
        &app,
        "文件与数据库的缴费金额合计一致到分；余额未变。"
    ));
    assert!(shows(&app, "导入完成：新增 4，未变 0，无效 1"));
    assert!(shows(
        &app,
        "'支票' 不是以下之一：现金/银行卡/微信/支付宝/银行代收/网上缴费/其他"
    ));
}

#[test]
fn the_dry_run_of_a_payments_history_announces_its_amount() {
    let (_runtime, mut app) = import_app();
    let _ = click_text(&mut app, "缴费记录");
    feed(
        &mut app,
        [
            to_import(import::Message::PathChanged(LEDGER.into())),
            to_import(import::Message::Upload),
            to_import(import::Message::Uploaded(Ok(uploaded()))),
            to_import(import::Message::Inspected(Ok(payments_inspected()))),
            to_import(import::Message::GoTo(Step::DryRun)),
            to_import(import::Message::StartDryRun),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(pb::ImportReport {
                dry_run: true,
                rows_read: 3,
                rows_new: 3,
                amount_file: "1126.00".into(),
                ..pb::ImportReport::default()
            }))),
        })],
    );
    assert!(shows(&app, "新增记录金额合计"));
    assert!(shows(&app, "¥1,126.00"));
    assert!(!shows(&app, "文件中预存款合计"));
    assert!(!shows(&app, "更新"), "history has no updated rows");
}

#[test]
fn a_readings_history_runs_end_to_end_with_the_consumption_certificate() {
    let (_runtime, mut app) = import_app();
    let dry = pb::ImportReport {
        dry_run: true,
        rows_read: 3,
        rows_new: 3,
        consumption_file: "1165.500".into(),
        ..pb::ImportReport::default()
    };
    let done = pb::ImportReport {
        import_id: 42,
        dry_run: false,
        consumption_db: "1165.500".into(),
        balanced: true,
        ..dry.clone()
    };
    let _ = click_text(&mut app, "抄表记录");
    assert!(shows(
        &app,
        "抄表记录作为历史导入：不进入异常复核，也不再计费，只标明新系统第一张账单从哪里开始。请先导入用户台账。"
    ));
    let (dry_request, request) = run_history(&mut app, "抄表记录", readings_inspected(), dry, done);
    assert_eq!(dry_request.kind, pb::ImportKind::Readings as i32);
    assert_eq!(request.kind, pb::ImportKind::Readings as i32);
    assert!(shows(&app, "用气量"));
    assert!(shows(&app, "1,165.500 m³"));
    assert!(shows(&app, "文件与数据库的用气量合计一致到升。"));
    assert!(shows(&app, "导入完成：新增 3，未变 0，无效 0"));
    assert!(!shows(&app, "不平衡"));
}

#[test]
fn a_readings_history_commits_in_batches_of_whole_accounts_and_resumes_after_them() {
    let (_runtime, mut app) = import_app();
    let _ = click_text(&mut app, "抄表记录");
    feed(
        &mut app,
        [
            to_import(import::Message::PathChanged(LEDGER.into())),
            to_import(import::Message::Upload),
            to_import(import::Message::Uploaded(Ok(uploaded()))),
            to_import(import::Message::Inspected(Ok(readings_inspected()))),
            to_import(import::Message::GoTo(Step::DryRun)),
            to_import(import::Message::StartDryRun),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(pb::ImportReport {
                dry_run: true,
                rows_read: 30_000,
                rows_new: 30_000,
                consumption_file: "91000.500".into(),
                ..pb::ImportReport::default()
            }))),
        })],
    );
    feed(&mut app, [to_import(import::Message::GoTo(Step::Import))]);
    assert!(shows(
        &app,
        "抄表记录按户分批：每批含若干户的全部读数（至少 10,000 行），按户号排序，续传从下一户开始。"
    ));
    let _ = click_text(&mut app, "分批提交（每批 10,000 行）");
    assert!(import_of(&app).chunked());
    let _ = click_text(&mut app, "开始导入");
    let run = import_of(&app).run().unwrap();
    assert_eq!(run.request.kind, pb::ImportKind::Readings as i32);
    assert_eq!(
        run.request.chunk_rows,
        import::CHUNK_ROWS,
        "readings are chunked too"
    );
    let id = run.id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(pb::ImportReport {
                import_id: 12,
                rows_read: 30_000,
                rows_new: 30_000,
                consumption_file: "91000.500".into(),
                consumption_db: "91000.500".into(),
                balanced: true,
                chunks: 3,
                resumed_after_accounts: Some(800),
                ..pb::ImportReport::default()
            }))),
        })],
    );
    assert!(shows(
        &app,
        "分 3 批提交；从前 800 户之后续传，之前已提交的抄表记录未重复写入"
    ));
}

#[test]
fn a_session_ended_during_an_upload_returns_to_login() {
    let (_runtime, mut app) = import_app();
    feed(
        &mut app,
        [
            to_import(import::Message::PathChanged(LEDGER.into())),
            to_import(import::Message::Upload),
            to_import(import::Message::Uploaded(Err(ApiError::SessionExpired))),
        ],
    );
    assert!(matches!(app.screen(), Screen::Login(_)));
}

#[test]
fn a_new_path_forgets_the_old_upload() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    assert!(import_of(&app).upload().is_some());
    feed(
        &mut app,
        [to_import(import::Message::GoTo(Step::ChooseFile))],
    );
    assert!(shows(
        &app,
        "已上传：2023年用户台账.xlsx · 31.5 KB · 2 个工作表"
    ));
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::ChooseFile)),
            to_import(import::Message::PathChanged(
                "/data/台账/2024年用户台账.xlsx".into(),
            )),
        ],
    );
    assert!(import_of(&app).upload().is_none());
    assert!(!import_of(&app).is_reachable(Step::Mapping));
}

/// Renders the import pages to PNG files for people to look at (not a
/// check): `cargo test -p gascis --test import_ui -- --ignored`, then see
/// the paths printed. With GASCIS_DOCS_SCREENSHOTS=<dir> the dry-run page
/// is copied there as import-preview.png, at the simulator's 2× scale;
/// docs/screenshots holds it halved to the window's 1200×780
/// (`convert f.png -filter Lanczos -resize 50% f.png`).
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let docs = std::env::var_os("GASCIS_DOCS_SCREENSHOTS").map(std::path::PathBuf::from);
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str, docs_name: Option<&str>| {
        let view_size = Size::new(1200.0, 780.0);
        let mut ui = Simulator::with_size(gascis::theme::settings(), view_size, app.view());
        let snapshot = ui.snapshot(&theme).unwrap();
        let path = directory.join(format!("{name}.png"));
        let written =
            ["tiny-skia", "wgpu"].map(|renderer| directory.join(format!("{name}-{renderer}.png")));
        for file in &written {
            let _ = std::fs::remove_file(file);
        }
        assert!(snapshot.matches_image(&path).unwrap());
        let written = written.into_iter().find(|file| file.exists()).unwrap();
        println!("wrote {}", written.display());
        if let (Some(docs), Some(docs_name)) = (&docs, docs_name) {
            let target = docs.join(docs_name);
            let _ = std::fs::copy(&written, &target).unwrap();
            println!("wrote {}", target.display());
        }
    };

    let (_runtime, mut app) = import_app();
    feed(
        &mut app,
        [to_import(import::Message::PathChanged(LEDGER.into()))],
    );
    save(&app, "import-choose", None);
    feed(
        &mut app,
        [
            to_import(import::Message::Upload),
            to_import(import::Message::Uploaded(Ok(uploaded()))),
            to_import(import::Message::Inspected(Ok(inspected()))),
        ],
    );
    save(&app, "import-mapping", None);
    feed(
        &mut app,
        [
            to_import(import::Message::ColumnChosen {
                field: "meter_no".into(),
                header: Some("表具編号".into()),
            }),
            to_import(import::Message::GoTo(Step::DryRun)),
            to_import(import::Message::StartDryRun),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Progressed(pb::ImportProgress {
                phase: "validating".into(),
                done: 6,
                total: 10,
            }),
        })],
    );
    save(&app, "import-running", None);
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(dry_run_report()))),
        })],
    );
    save(&app, "import-preview", Some("import-preview.png"));
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::Import)),
            to_import(import::Message::PartialToggled(true)),
            to_import(import::Message::StartImport),
        ],
    );
    let id = import_of(&app).run().unwrap().id;
    feed(
        &mut app,
        [to_import(import::Message::Run {
            run: id,
            event: RunEvent::Finished(Ok(Box::new(import_report(true)))),
        })],
    );
    save(&app, "import-certificate", None);

    feed(
        &mut app,
        [
            Message::Home(home::Message::SelectLanguage(
                gascis::i18n::Language::English,
            )),
            to_import(import::Message::GoTo(Step::DryRun)),
        ],
    );
    save(&app, "import-preview-english", None);
    feed(&mut app, [to_import(import::Message::GoTo(Step::Mapping))]);
    save(&app, "import-mapping-english", None);
}

/// A saved mapping of an older export: the meter column by its typo'd
/// header, the district by a column this sheet lacks.
fn saved_mappings() -> pb::ListImportMappingsResponse {
    let mut mapping: std::collections::HashMap<String, String> = inspected()
        .fields
        .iter()
        .filter(|field| !field.header.is_empty())
        .map(|field| (field.field.clone(), field.header.clone()))
        .collect();
    mapping.insert("meter_no".into(), "表具編号".into());
    mapping.insert("district".into(), "所属区县".into());
    pb::ListImportMappingsResponse {
        mappings: vec![pb::ImportMapping {
            name: "老系统台账2019版".into(),
            kind: pb::ImportKind::Accounts as i32,
            mapping,
            updated_by: "zhaomin".into(),
            updated_at: None,
        }],
    }
}

#[test]
fn a_saved_mapping_is_picked_and_applied() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    assert!(shows(&app, "已保存的映射"));
    assert!(shows(&app, "暂无"), "nothing listed yet");
    assert!(!shows(&app, "已修改"));

    feed(
        &mut app,
        [to_import(import::Message::MappingsListed(Ok(
            saved_mappings(),
        )))],
    );
    assert!(!shows(&app, "暂无"));
    // Picked as the pick list would report it.
    feed(
        &mut app,
        [to_import(import::Message::SavedMappingSelected(
            "老系统台账2019版".into(),
        ))],
    );
    assert_eq!(
        import_of(&app).saved_mappings().selected.as_deref(),
        Some("老系统台账2019版")
    );
    let applied = click_text(&mut app, "应用");
    assert!(
        import_messages(&applied)
            .iter()
            .any(|message| matches!(message, import::Message::ApplySavedMapping))
    );

    // The meter is mapped now, every field is the user's, and the district's
    // column is not in this sheet.
    assert!(!shows(&app, "缺少必填列"));
    assert!(shows(&app, "已修改"));
    assert!(shows(&app, "缺少列"));
    assert!(shows(&app, "所属区县"));
    let mapping = import_of(&app).mapping();
    assert_eq!(mapping.chosen("meter_no"), Some("表具編号"));
    assert_eq!(mapping.chosen("district"), None);
    assert_eq!(mapping.absent("district"), Some("所属区县"));
    assert!(import_of(&app).can_run());

    // The dry run carries the mapping.
    let _ = click_text(&mut app, "下一步：预检");
    let _ = click_text(&mut app, "开始预检");
    let request = &import_of(&app).run().expect("the dry run goes").request;
    assert!(request.dry_run);
    assert_eq!(
        request.mapping.get("meter_no").map(String::as_str),
        Some("表具編号")
    );
    assert_eq!(
        request.mapping.get("account_no").map(String::as_str),
        Some("＊用户编号")
    );
    assert!(!request.mapping.contains_key("district"));
    assert_eq!(request.mapping.len(), 13);
}

#[test]
fn a_mapping_is_saved_by_name_and_deleted_after_asking() {
    let (_runtime, mut app) = import_app();
    upload_and_inspect(&mut app);
    feed(
        &mut app,
        [to_import(import::Message::MappingsListed(Ok(
            pb::ListImportMappingsResponse::default(),
        )))],
    );

    // No name: said under the field, nothing sent.
    let _ = click_text(&mut app, "保存当前映射");
    assert!(shows(&app, "请填写映射名称"));
    assert!(!import_of(&app).saved_mappings().busy);

    type_into(&mut app, import::MAPPING_NAME_INPUT, "旧版");
    let _ = click_text(&mut app, "保存当前映射");
    assert!(import_of(&app).saved_mappings().busy);
    feed(
        &mut app,
        [to_import(import::Message::MappingSaved(Err(
            ApiError::InvalidField {
                field: "name".into(),
                message: "a mapping name is 1 to 60 characters".into(),
            },
        )))],
    );
    assert!(shows(&app, "a mapping name is 1 to 60 characters"));

    let _ = click_text(&mut app, "保存当前映射");
    let saved = saved_mappings().mappings.remove(0);
    feed(
        &mut app,
        [to_import(import::Message::MappingSaved(Ok(
            pb::ImportMapping {
                name: "旧版".into(),
                ..saved
            },
        )))],
    );
    assert!(shows(&app, "已保存"));
    assert_eq!(
        import_of(&app).saved_mappings().selected.as_deref(),
        Some("旧版")
    );

    // 删除 asks first; 取消 keeps it.
    let _ = click_text(&mut app, "删除");
    assert!(shows(
        &app,
        "删除已保存的映射“旧版”？其他人也将无法再使用它。"
    ));
    let _ = click_text(&mut app, "取消");
    assert!(!shows(
        &app,
        "删除已保存的映射“旧版”？其他人也将无法再使用它。"
    ));
    let _ = click_text(&mut app, "删除");
    let confirmed = click_text(&mut app, "确认删除");
    assert!(
        import_messages(&confirmed)
            .iter()
            .any(|message| matches!(message, import::Message::ConfirmDeleteSavedMapping))
    );
    assert!(import_of(&app).saved_mappings().busy);
    feed(
        &mut app,
        [to_import(import::Message::SavedMappingDeleted(Ok(
            "旧版".into()
        )))],
    );
    assert!(import_of(&app).saved_mappings().list.is_empty());
    assert!(shows(&app, "暂无"));
}
