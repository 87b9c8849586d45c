//! Identifier spelling shared by the macros: the `UpperCamelCase` names they generate from
//! the user's `snake_case` ones (a `#[task]` future type, a machine's step-tag variants), and
//! the `snake_case` step methods named by an enum machine's `UpperCamelCase` variants. Both
//! drop a raw identifier's `r#` the same way (`unraw`).

use syn::ext::IdentExt;
use syn::Ident;

/// `fetch_user` -> `FetchUser`; raw identifiers lose their `r#`, runs of underscores collapse,
/// and a name with no letters or digits left (`_`, `__`) becomes `fallback`.
pub(crate) fn upper_camel(ident: &Ident, fallback: &str) -> String {
    let text = ident.unraw().to_string();
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

/// The step method of a variant: `WaitForReply` -> `wait_for_reply`, `HTTPGet` -> `http_get`;
/// a keyword (`Loop` -> `loop`) becomes a raw identifier (`r#loop`).
pub(crate) fn method_ident(variant: &Ident) -> Ident {
    // `r#Loop` names the variant `Loop`; `Ident::new` panics on an `r#` prefix.
    let name = variant.unraw().to_string();
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let ends_acronym = i > 0
                && chars[i - 1].is_uppercase()
                && chars.get(i + 1).is_some_and(|next| next.is_lowercase());
            if after_lower || ends_acronym {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    if matches!(out.as_str(), "crate" | "self" | "super") {
        out.push('_'); // these cannot be raw identifiers
    }
    match syn::parse_str::<Ident>(&out) {
        Ok(_) => Ident::new(&out, variant.span()),
        Err(_) => Ident::new_raw(&out, variant.span()),
    }
}

#[cfg(test)]
mod tests {
    use super::{method_ident, upper_camel};

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

    #[test]
    fn step_methods_are_snake_case() {
        let method = |variant: &str| method_ident(&syn::parse_str(variant).unwrap()).to_string();
        assert_eq!(method("WaitForReply"), "wait_for_reply");
        assert_eq!(method("HTTPGet"), "http_get");
        assert_eq!(method("Loop"), "r#loop");
        assert_eq!(method("r#Loop"), "r#loop");
        assert_eq!(method("r#Fetch"), "fetch");
    }
}
