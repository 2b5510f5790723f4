//! Printing a PDF through the operating system: `lp` on Linux (and other
//! Unix systems with CUPS), the PDF viewer's print verb on Windows.
//!
//! `GASCIS_PRINT_COMMAND` replaces the system's command when set (tests, or
//! a counter whose receipt printer needs its own tool): its words are the
//! program and its arguments, `{file}` stands for the PDF's path (appended
//! when absent), and the chosen printer, if any, is in `GASCIS_PRINTER`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The environment variable with a print command of its own.
pub const COMMAND_VARIABLE: &str = "GASCIS_PRINT_COMMAND";

/// The environment variable that hands the chosen printer to that command.
pub const PRINTER_VARIABLE: &str = "GASCIS_PRINTER";

/// How long the print command may take: spooling a receipt is quick, a
/// command that hangs must not hold the counter.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long printed files stay in the temp folder: Windows hands the file
/// to the PDF viewer, which reads it after the command has returned.
const KEEP_FILES: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("cannot write the file to print ({path}): {reason}")]
    File { path: String, reason: String },
    #[error("{COMMAND_VARIABLE} is set but empty")]
    EmptyCommand,
    #[error("cannot run {program}: {reason}")]
    Start { program: String, reason: String },
    #[error("{program} failed ({status}): {output}")]
    Failed {
        program: String,
        status: String,
        output: String,
    },
    #[error("{program} gave no answer within {seconds} s")]
    TimedOut { program: String, seconds: u64 },
}

/// A command to run: the program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintCommand {
    pub program: String,
    pub args: Vec<String>,
}

/// The command that prints `file`: the one of [`COMMAND_VARIABLE`] when
/// `custom` holds it, else the system's.
pub fn command_for(
    custom: Option<&str>,
    file: &Path,
    printer: Option<&str>,
) -> Result<PrintCommand, PrintError> {
    let file_text = file.to_string_lossy().into_owned();
    match custom {
        Some(custom) => {
            let mut words = custom.split_whitespace().map(str::to_owned);
            let program = words.next().ok_or(PrintError::EmptyCommand)?;
            let mut args: Vec<String> = words.collect();
            let mut placed = false;
            for arg in &mut args {
                if arg.contains("{file}") {
                    *arg = arg.replace("{file}", &file_text);
                    placed = true;
                }
            }
            if !placed {
                args.push(file_text);
            }
            Ok(PrintCommand { program, args })
        }
        None => Ok(system_command(&file_text, printer)),
    }
}

#[cfg(windows)]
fn system_command(file: &str, printer: Option<&str>) -> PrintCommand {
    // PowerShell quotes: a single quote inside is doubled.
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let script = match printer {
        Some(printer) => format!(
            "Start-Process -FilePath {} -Verb PrintTo -ArgumentList {}",
            quote(file),
            quote(&format!("\"{printer}\""))
        ),
        None => format!("Start-Process -FilePath {} -Verb Print", quote(file)),
    };
    PrintCommand {
        program: "powershell".to_owned(),
        args: vec!["-NoProfile".to_owned(), "-Command".to_owned(), script],
    }
}

#[cfg(not(windows))]
fn system_command(file: &str, printer: Option<&str>) -> PrintCommand {
    let mut args = Vec::new();
    if let Some(printer) = printer {
        args.extend(["-d".to_owned(), printer.to_owned()]);
    }
    args.extend(["--".to_owned(), file.to_owned()]);
    PrintCommand {
        program: "lp".to_owned(),
        args,
    }
}

/// A file name that is safe in any folder: the server's name without path
/// separators or characters Windows refuses.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "receipt.pdf".to_owned()
    } else if cleaned.to_lowercase().ends_with(".pdf") {
        cleaned
    } else {
        format!("{cleaned}.pdf")
    }
}

/// The folder printed files go to.
pub fn spool_directory() -> PathBuf {
    std::env::temp_dir().join("gascis-print")
}

/// Writes `pdf` to the temp folder as `file_name` and prints it on
/// `printer` (the default printer when `None`). Answers the file printed.
pub async fn print_pdf(
    pdf: Vec<u8>,
    file_name: String,
    printer: Option<String>,
) -> Result<PathBuf, PrintError> {
    let directory = spool_directory();
    let file_error = |path: &Path, error: std::io::Error| PrintError::File {
        path: path.display().to_string(),
        reason: error.to_string(),
    };
    tokio::fs::create_dir_all(&directory)
        .await
        .map_err(|error| file_error(&directory, error))?;
    remove_old_files(&directory).await;
    let file = unique_path(&directory, &safe_file_name(&file_name));
    tokio::fs::write(&file, &pdf)
        .await
        .map_err(|error| file_error(&file, error))?;

    let custom = std::env::var(COMMAND_VARIABLE).ok();
    let printer = printer.filter(|printer| !printer.trim().is_empty());
    let command = command_for(custom.as_deref(), &file, printer.as_deref())?;
    run(&command, printer.as_deref()).await?;
    Ok(file)
}

/// `directory/name`, or `directory/stem-2.pdf`… when taken: a reprint
/// must not overwrite a file the spooler may still be reading.
fn unique_path(directory: &Path, name: &str) -> PathBuf {
    let first = directory.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.strip_suffix(".pdf").unwrap_or(name);
    (2..1000)
        .map(|number| directory.join(format!("{stem}-{number}.pdf")))
        .find(|path| !path.exists())
        .unwrap_or(first)
}

async fn remove_old_files(directory: &Path) {
    let Ok(mut entries) = tokio::fs::read_dir(directory).await else {
        return;
    };
    let now = SystemTime::now();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let old = entry
            .metadata()
            .await
            .ok()
            .and_then(|metadata| metadata.modified().ok())
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > KEEP_FILES);
        if old {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

async fn run(command: &PrintCommand, printer: Option<&str>) -> Result<(), PrintError> {
    let mut process = tokio::process::Command::new(&command.program);
    process.args(&command.args).kill_on_drop(true);
    if let Some(printer) = printer {
        process.env(PRINTER_VARIABLE, printer);
    }
    let output = tokio::time::timeout(PRINT_TIMEOUT, process.output())
        .await
        .map_err(|_| PrintError::TimedOut {
            program: command.program.clone(),
            seconds: PRINT_TIMEOUT.as_secs(),
        })?
        .map_err(|error| PrintError::Start {
            program: command.program.clone(),
            reason: error.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    }
    Err(PrintError::Failed {
        program: command.program.clone(),
        status: output.status.to_string(),
        output: text,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_command_gets_the_file() {
        let file = Path::new("/tmp/r 1.pdf");
        assert_eq!(
            command_for(Some("/bin/cp {file} /tmp/out"), file, None),
            Ok(PrintCommand {
                program: "/bin/cp".into(),
                args: vec!["/tmp/r 1.pdf".into(), "/tmp/out".into()],
            })
        );
        assert_eq!(
            command_for(Some("  my-print --fast "), file, Some("EPSON")),
            Ok(PrintCommand {
                program: "my-print".into(),
                args: vec!["--fast".into(), "/tmp/r 1.pdf".into()],
            })
        );
        assert_eq!(
            command_for(Some("  "), file, None),
            Err(PrintError::EmptyCommand)
        );
    }

    #[cfg(not(windows))]
    #[test]
    fn the_system_command_is_lp() {
        let file = Path::new("/tmp/r.pdf");
        assert_eq!(
            command_for(None, file, Some("EPSON-TM")),
            Ok(PrintCommand {
                program: "lp".into(),
                args: vec![
                    "-d".into(),
                    "EPSON-TM".into(),
                    "--".into(),
                    "/tmp/r.pdf".into()
                ],
            })
        );
        assert_eq!(
            command_for(None, file, None).map(|c| c.args),
            Ok(vec!["--".to_owned(), "/tmp/r.pdf".to_owned()])
        );
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("收据-R0001.pdf"), "收据-R0001.pdf");
        assert_eq!(safe_file_name("../a/b"), "_a_b.pdf");
        assert_eq!(safe_file_name(""), "receipt.pdf");
        assert_eq!(safe_file_name("a:b?.PDF"), "a_b_.PDF");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_failing_command_says_why() {
        let command = PrintCommand {
            program: "sh".into(),
            args: vec!["-c".into(), "echo no paper >&2; exit 3".into()],
        };
        match run(&command, None).await {
            Err(PrintError::Failed { output, .. }) => assert_eq!(output, "no paper"),
            other => panic!("{other:?}"),
        }
        let missing = PrintCommand {
            program: "/nonexistent/print".into(),
            args: vec![],
        };
        assert!(matches!(
            run(&missing, None).await,
            Err(PrintError::Start { .. })
        ));
    }
}
