//! The API reference page (docs/api.md), rendered from the comments in the
//! .proto files, and the list of API elements that lack a comment.

use std::collections::HashMap;

use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet};

fn comments(file: &FileDescriptorProto) -> HashMap<Vec<i32>, String> {
    file.source_code_info
        .iter()
        .flat_map(|info| info.location.iter())
        .filter_map(|location| {
            let text = location.leading_comments.as_deref()?.trim();
            (!text.is_empty()).then(|| (location.path.clone(), tidy(text)))
        })
        .collect()
}

fn tidy(text: &str) -> String {
    // protoc keeps the one space after `//`; indentation beyond it is meaningful
    // (continued list items).
    text.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

fn gascis_files() -> anyhow::Result<Vec<FileDescriptorProto>> {
    let set = FileDescriptorSet::decode(gascis_common::proto::FILE_DESCRIPTOR_SET)?;
    let mut files: Vec<_> = set
        .file
        .into_iter()
        .filter(|file| file.package() == "gascis.v1")
        .collect();
    files.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(files)
}

/// Every service, method, message, field, enum and enum value of gascis.v1
/// without a leading comment, as "file: element".
pub fn undocumented() -> anyhow::Result<Vec<String>> {
    let mut missing = Vec::new();
    for file in gascis_files()? {
        let docs = comments(&file);
        let mut need = |path: Vec<i32>, what: String| {
            if !docs.contains_key(&path) {
                missing.push(format!("{}: {what}", file.name()));
            }
        };
        for (s, service) in file.service.iter().enumerate() {
            let s = s as i32;
            need(vec![6, s], format!("service {}", service.name()));
            for (m, method) in service.method.iter().enumerate() {
                need(
                    vec![6, s, 2, m as i32],
                    format!("rpc {}.{}", service.name(), method.name()),
                );
            }
        }
        for (i, message) in file.message_type.iter().enumerate() {
            let i = i as i32;
            need(vec![4, i], format!("message {}", message.name()));
            for (f, field) in message.field.iter().enumerate() {
                // A lone repeated field of a list response speaks for itself
                // through its message comment.
                if message.field.len() == 1 && message.name().ends_with("Response") {
                    continue;
                }
                need(
                    vec![4, i, 2, f as i32],
                    format!("field {}.{}", message.name(), field.name()),
                );
            }
        }
        for (e, enumeration) in file.enum_type.iter().enumerate() {
            let e = e as i32;
            need(vec![5, e], format!("enum {}", enumeration.name()));
            for (v, value) in enumeration.value.iter().enumerate() {
                need(
                    vec![5, e, 2, v as i32],
                    format!("value {}.{}", enumeration.name(), value.name()),
                );
            }
        }
    }
    Ok(missing)
}

fn type_name(field: &prost_types::FieldDescriptorProto) -> String {
    use prost_types::field_descriptor_proto::{Label, Type};
    let base = match field.r#type() {
        Type::Message | Type::Enum => field
            .type_name()
            .trim_start_matches(".gascis.v1.")
            .trim_start_matches('.')
            .to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    if field.label() == Label::Repeated {
        format!("repeated {base}")
    } else {
        base
    }
}

fn anchor(name: &str) -> String {
    name.to_lowercase()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Markdown reference of gascis.v1.
pub fn render() -> anyhow::Result<String> {
    let files = gascis_files()?;
    let mut out = String::from(
        "# gascis.v1 API reference\n\n\
         Generated from the comments in `common/proto/gascis/v1/*.proto` by\n\
         `UPDATE_API_DOCS=1 cargo test -p gascis-testkit --test api_docs`; do not edit by hand.\n\n\
         Every call except `AuthService.Login` and `grpc.health.v1.Health` needs the metadata\n\
         `authorization: Bearer <session_token>`. Money and volumes travel as decimal strings,\n\
         times as `google.protobuf.Timestamp`. The server also offers gRPC server reflection\n\
         (`grpc.reflection.v1`) to signed-in users.\n\n## Services\n",
    );
    for file in &files {
        let docs = comments(file);
        for (s, service) in file.service.iter().enumerate() {
            let s = s as i32;
            out.push_str(&format!("\n### {}\n\n", service.name()));
            if let Some(text) = docs.get(&vec![6, s]) {
                out.push_str(text);
                out.push_str("\n\n");
            }
            out.push_str("| RPC | request | response | description |\n|---|---|---|---|\n");
            for (m, method) in service.method.iter().enumerate() {
                let input = method.input_type().trim_start_matches(".gascis.v1.");
                let output = method.output_type().trim_start_matches(".gascis.v1.");
                out.push_str(&format!(
                    "| `{}` | [{input}](#{}) | [{output}](#{}) | {} |\n",
                    method.name(),
                    anchor(input),
                    anchor(output),
                    one_line(
                        docs.get(&vec![6, s, 2, m as i32])
                            .map_or("", String::as_str)
                    )
                ));
            }
        }
    }
    out.push_str("\n## Messages\n");
    for file in &files {
        let docs = comments(file);
        for (i, message) in file.message_type.iter().enumerate() {
            let i = i as i32;
            out.push_str(&format!("\n### {}\n\n", message.name()));
            if let Some(text) = docs.get(&vec![4, i]) {
                out.push_str(&one_line(text));
                out.push_str("\n\n");
            }
            if message.field.is_empty() {
                out.push_str("No fields.\n");
                continue;
            }
            out.push_str("| field | type | description |\n|---|---|---|\n");
            for (f, field) in message.field.iter().enumerate() {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    field.name(),
                    type_name(field),
                    one_line(
                        docs.get(&vec![4, i, 2, f as i32])
                            .map_or("", String::as_str)
                    )
                ));
            }
        }
    }
    out.push_str("\n## Enums\n");
    for file in &files {
        let docs = comments(file);
        for (e, enumeration) in file.enum_type.iter().enumerate() {
            let e = e as i32;
            out.push_str(&format!("\n### {}\n\n", enumeration.name()));
            if let Some(text) = docs.get(&vec![5, e]) {
                out.push_str(&one_line(text));
                out.push_str("\n\n");
            }
            out.push_str("| value | number | description |\n|---|---|---|\n");
            for (v, value) in enumeration.value.iter().enumerate() {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    value.name(),
                    value.number(),
                    one_line(
                        docs.get(&vec![5, e, 2, v as i32])
                            .map_or("", String::as_str)
                    )
                ));
            }
        }
    }
    Ok(out)
}
