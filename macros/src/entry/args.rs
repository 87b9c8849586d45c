//! Parsing and validating the arguments and the function of an entry-point macro.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// Which macro is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Main => "blitz_io::main",
            Kind::Test => "blitz_io::test",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
}

/// The validated arguments.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: bool,
    pub(crate) crate_path: syn::Path,
}

pub(crate) use crate::errors::Errors;

pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &mut Errors) -> Config {
    let mut config = Config {
        flavor: match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        },
        worker_threads: None,
        start_paused: false,
        crate_path: syn::parse_quote!(::blitz_io),
    };
    let parsed = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args);
    let metas = match parsed {
        Ok(pairs) => pairs,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!(
                    "`#[{}]` takes `key = value` arguments: flavor, worker_threads, \
                     start_paused, crate",
                    kind.name()
                ),
            ));
            return config;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    let mut worker_threads_span = None;
    let mut start_paused_span = None;
    for meta in &metas {
        let pair = match meta {
            Meta::NameValue(pair) => pair,
            Meta::Path(path) => {
                let name = path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let hint = match name.as_str() {
                    "multi_thread" | "current_thread" => format!("write `flavor = \"{name}\"`"),
                    _ => format!("write `{name} = ...`"),
                };
                errors.spanned(path.span(), format!("`{name}` needs a value: {hint}"));
                continue;
            }
            Meta::List(list) => {
                errors.spanned(list.span(), "expected `key = value`, not a list");
                continue;
            }
        };
        let key = pair.path.get_ident().map(ToString::to_string);
        let Some(key) = key else {
            errors.spanned(pair.path.span(), "expected a plain argument name");
            continue;
        };
        if seen.contains(&key) {
            errors.spanned(pair.path.span(), format!("duplicate argument `{key}`"));
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "flavor" => match string_value(&pair.value) {
                Some(value) if value == "multi_thread" => config.flavor = Flavor::MultiThread,
                Some(value) if value == "current_thread" => config.flavor = Flavor::CurrentThread,
                _ => errors.spanned(
                    pair.value.span(),
                    "`flavor` must be \"multi_thread\" or \"current_thread\"",
                ),
            },
            "worker_threads" => match int_value(&pair.value) {
                Some(0) => errors.spanned(pair.value.span(), "`worker_threads` must be at least 1"),
                Some(n) => {
                    config.worker_threads = Some(n);
                    worker_threads_span = Some(pair.path.span());
                }
                None => errors.spanned(
                    pair.value.span(),
                    "`worker_threads` must be a positive integer literal",
                ),
            },
            "start_paused" => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(value),
                    ..
                }) => {
                    config.start_paused = value.value;
                    start_paused_span = Some(pair.path.span());
                }
                _ => errors.spanned(
                    pair.value.span(),
                    "`start_paused` must be `true` or `false`",
                ),
            },
            "crate" => match string_value(&pair.value) {
                Some(value) => match syn::parse_str::<syn::Path>(&value) {
                    Ok(path) => config.crate_path = path,
                    Err(_) => errors.spanned(
                        pair.value.span(),
                        format!(
                            "`crate` must name a path, like \"blitz_io\"; `{value}` is not one"
                        ),
                    ),
                },
                None => errors.spanned(pair.value.span(), "`crate` must be a string literal"),
            },
            other => errors.spanned(
                pair.path.span(),
                format!(
                    "unknown argument `{other}`; `#[{}]` accepts flavor, worker_threads, \
                     start_paused and crate",
                    kind.name()
                ),
            ),
        }
    }
    if let (Flavor::CurrentThread, Some(span)) = (config.flavor, worker_threads_span) {
        errors.spanned(
            span,
            "`worker_threads` needs `flavor = \"multi_thread\"`: the current-thread runtime \
             runs everything on the calling thread",
        );
    }
    if let (Flavor::MultiThread, Some(span), true) =
        (config.flavor, start_paused_span, config.start_paused)
    {
        errors.spanned(
            span,
            "`start_paused = true` needs `flavor = \"current_thread\"`: paused time is \
             deterministic only on one thread",
        );
    }
    config
}

fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

fn int_value(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

pub(crate) fn validate_function(kind: Kind, function: &syn::ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.spanned(
            sig.fn_token.span,
            format!("`#[{}]` goes on an `async fn`", kind.name()),
        );
    }
    if !sig.inputs.is_empty() {
        errors.spanned(
            sig.inputs.span(),
            match kind {
                Kind::Main => "`main` takes no arguments",
                Kind::Test => "a test function takes no arguments",
            },
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            sig.generics.span(),
            format!("`#[{}]` functions cannot be generic", kind.name()),
        );
    }
    if kind == Kind::Main && sig.ident != "main" {
        errors.spanned(
            sig.ident.span(),
            "`#[blitz_io::main]` goes on `fn main`; for other functions build a runtime and \
             call `Runtime::block_on`",
        );
    }
    if kind == Kind::Test {
        if let Some(attr) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
            errors.spanned(
                attr.span(),
                "remove this `#[test]`: `#[blitz_io::test]` already adds it",
            );
        }
    }
}
