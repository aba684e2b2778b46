//! Writing one setting into a configuration file's text, keeping everything else as it was: what the
//! language server does when the user answers "Use PortOS's convention here" (the project file) or "For all
//! my projects" (the user-level file).

use super::{Convention, parse_project_file};

/// `text` (a project or user-level file, or `""` for a new one) with `[app] convention` set to `convention`.
/// An existing setting is replaced, else the line goes under an `[app]` header, else a new `[app]` table is
/// appended. The result is read back and must say `convention`; when it does not (the file is not valid
/// TOML, or writes `app` as an inline table), the error says what to add by hand. `known_rules` are the rule
/// codes, as for [`parse_project_file`].
pub fn with_convention(
    text: &str,
    convention: Convention,
    known_rules: &[&str],
) -> Result<String, String> {
    let by_hand = || {
        format!(
            "add `convention = \"{}\"` under `[app]` by hand",
            convention.as_str()
        )
    };
    if parse_project_file(text, None, known_rules).is_err() {
        return Err(format!(
            "the file is not a valid configuration; {}",
            by_hand()
        ));
    }
    let value = format!("\"{}\"", convention.as_str());
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut section: Option<String> = None;
    let mut app_header = None;
    let mut existing = None;
    let mut root_uses_app = false;
    let mut first_header = None;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = header(trimmed) {
            first_header.get_or_insert(i);
            if name == "app" && app_header.is_none() {
                app_header = Some(i);
            }
            section = Some(name);
            continue;
        }
        let key = trimmed
            .split_once('=')
            .map(|(key, _)| key.trim().replace([' ', '\t'], ""));
        match (section.as_deref(), key.as_deref()) {
            (Some("app"), Some("convention")) | (None, Some("app.convention")) => {
                existing.get_or_insert(i);
            }
            (None, Some(key)) if key == "app" || key.starts_with("app.") => root_uses_app = true,
            _ => {}
        }
    }
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let ending = crate::syntax::line_ending(text);
    if let Some(i) = existing {
        let line = &lines[i];
        let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
        let key = line.trim_start().split_once('=').map_or("", |(k, _)| k);
        out[i] = format!("{indent}{}= {value}{ending}", key);
    } else if let Some(i) = app_header {
        if !out[i].ends_with('\n') {
            out[i].push_str(ending);
        }
        out.insert(i + 1, format!("convention = {value}{ending}"));
    } else if root_uses_app {
        // `app.role = …` at the top level: a dotted key beside it, before the first table.
        out.insert(
            first_header.unwrap_or(out.len()),
            format!("app.convention = {value}{ending}"),
        );
    } else {
        if out.last().is_some_and(|l| !l.ends_with('\n')) {
            out.push(ending.to_string());
        }
        if !text.trim().is_empty() {
            out.push(ending.to_string());
        }
        out.push(format!("[app]{ending}convention = {value}{ending}"));
    }
    let result = out.concat();
    match parse_project_file(&result, None, known_rules) {
        Ok(loaded) if loaded.config.convention == convention => Ok(result),
        _ => Err(format!("cannot place the setting safely; {}", by_hand())),
    }
}

/// The name of a `[table]` header line (`[app]`, `[ app ]  # comment`); `None` for other lines and for
/// `[[arrays]]`.
fn header(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix('[')?;
    if rest.starts_with('[') {
        return Some(String::new());
    }
    let (name, after) = rest.split_once(']')?;
    let after = after.trim();
    (after.is_empty() || after.starts_with('#')).then(|| name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portos(text: &str) -> String {
        with_convention(text, Convention::Portos, &["port-gap"]).unwrap()
    }

    #[test]
    fn a_new_file_gets_an_app_table() {
        assert_eq!(portos(""), "[app]\nconvention = \"portos\"\n");
    }

    #[test]
    fn an_app_table_gets_the_line_and_the_rest_stays() {
        let text = "# ours\n[ranges]\nuser = [5570, 5589]\n\n[app]\nrole = \"user\"\n";
        assert_eq!(
            portos(text),
            "# ours\n[ranges]\nuser = [5570, 5589]\n\n[app]\nconvention = \"portos\"\nrole = \"user\"\n"
        );
    }

    #[test]
    fn an_existing_setting_is_replaced() {
        assert_eq!(
            portos("[app]\n  convention = \"plain\"\n[rules]\nport-gap = \"off\"\n"),
            "[app]\n  convention = \"portos\"\n[rules]\nport-gap = \"off\"\n"
        );
        assert_eq!(
            portos("app.convention = 'auto'\n"),
            "app.convention = \"portos\"\n"
        );
    }

    #[test]
    fn a_file_without_app_gets_a_table_at_the_end() {
        assert_eq!(
            portos("[ranges]\nuser = [5570, 5599]"),
            "[ranges]\nuser = [5570, 5599]\n\n[app]\nconvention = \"portos\"\n"
        );
        assert_eq!(
            portos("# nothing to set\n"),
            "# nothing to set\n\n[app]\nconvention = \"portos\"\n"
        );
    }

    #[test]
    fn dotted_app_keys_get_a_dotted_one() {
        assert_eq!(
            portos("app.role = \"user\"\n[rules]\nport-gap = \"off\"\n"),
            "app.role = \"user\"\napp.convention = \"portos\"\n[rules]\nport-gap = \"off\"\n"
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        assert_eq!(
            portos("[app]\r\nrole = \"user\"\r\n"),
            "[app]\r\nconvention = \"portos\"\r\nrole = \"user\"\r\n"
        );
    }

    #[test]
    fn what_cannot_be_edited_safely_is_refused() {
        let inline = with_convention("app = { role = \"user\" }\n", Convention::Portos, &[]);
        assert!(inline.unwrap_err().contains("by hand"));
        let broken = with_convention("[app\n", Convention::Portos, &[]);
        assert!(broken.unwrap_err().contains("not a valid configuration"));
    }
}
