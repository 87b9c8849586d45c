//! Identifier spelling shared by the macros: the `UpperCamelCase` names they generate from
//! the user's `snake_case` ones (a `#[task]` future type, a machine's step-tag variants).

use syn::Ident;

/// `fetch_user` -> `FetchUser`; raw identifiers lose their `r#`, runs of underscores collapse,
/// and a name with no letters or digits left (`_`, `__`) becomes `fallback`.
pub(crate) fn upper_camel(ident: &Ident, fallback: &str) -> String {
    let text = ident.to_string();
    let text = text.strip_prefix("r#").unwrap_or(&text);
    let mut out = String::new();
    for word in text.split('_').filter(|word| !word.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out.push_str(fallback);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::upper_camel;

    fn camel(name: &str) -> String {
        upper_camel(&syn::parse_str(name).unwrap(), "Fallback")
    }

    #[test]
    fn names_are_upper_camel_case() {
        assert_eq!(camel("fetch_user"), "FetchUser");
        assert_eq!(camel("add"), "Add");
        assert_eq!(camel("_private_work"), "PrivateWork");
        assert_eq!(camel("read__twice_2"), "ReadTwice2");
        assert_eq!(camel("r#match"), "Match");
        assert_eq!(camel("Already"), "Already");
        assert_eq!(camel("__"), "Fallback");
    }
}
