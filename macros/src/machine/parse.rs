//! Parsing and validating `#[derive(StateMachine)]`'s input into a [`Model`].
//!
//! Every problem is pushed to the error collector with the span of the offending tokens and
//! parsing carries on, so one compile shows them all. Whatever could be understood is still
//! returned, so the generator can emit the step-tag enum even on error and the user's step
//! bodies keep resolving in IDEs.

use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr, Token, Type, Visibility};

use crate::errors::Errors;

const KEYS: &str = "`output`, `start`, `steps`, `tag`, `project` and `crate`";

/// The validated derive input.
pub(crate) struct Model {
    pub(crate) krate: syn::Path,
    pub(crate) output: Option<Type>,
    /// The generated step-tag enum's name.
    pub(crate) tag: Ident,
    /// The struct's projection method name (struct machines only).
    pub(crate) project: Ident,
    pub(crate) shape: Shape,
}

pub(crate) enum Shape {
    /// Steps are methods named in `steps(..)`; the tag lives in the wrapper.
    Struct {
        fields: Vec<Field>,
        style: Style,
        start: Option<Ident>,
        steps: Vec<Ident>,
    },
    /// Each variant is a step whose method receives the variant's fields.
    Enum { variants: Vec<Variant> },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Named,
    Tuple,
    Unit,
}

pub(crate) struct Field {
    pub(crate) member: syn::Member,
    pub(crate) vis: Visibility,
    pub(crate) ty: Type,
    pub(crate) pinned: bool,
}

pub(crate) struct Variant {
    pub(crate) ident: Ident,
    pub(crate) method: Ident,
    pub(crate) style: Style,
    pub(crate) fields: Vec<Field>,
    /// `#[machine(by_value)]`: the step receives the fields by value (no `#[pin]` fields).
    pub(crate) by_value: bool,
}

/// The most steps a `u8` tag holds while leaving a niche for "finished".
const MAX_STEPS: usize = 255;

pub(crate) fn parse(input: &DeriveInput, errors: &mut Errors) -> Model {
    let mut keys = Keys::default();
    for attr in &input.attrs {
        if attr.path().is_ident("machine") {
            parse_machine_attr(attr, &mut keys, errors);
        } else if attr.path().is_ident("pin") {
            errors.spanned(
                attr.span(),
                "`#[pin]` goes on a field, not on the machine type",
            );
        } else if attr.path().is_ident("repr") {
            reject_packed(attr, errors);
        }
    }
    let name = &input.ident;
    let tag = keys
        .tag
        .clone()
        .unwrap_or_else(|| Ident::new(&format!("{name}Step"), name.span()));
    let project = keys
        .project
        .clone()
        .unwrap_or_else(|| Ident::new("project", Span::call_site()));
    let shape = match &input.data {
        Data::Struct(data) => {
            let (fields, style) = fields(&data.fields, errors);
            let steps = struct_steps(&keys, errors);
            Shape::Struct {
                fields,
                style,
                start: struct_start(&keys, &steps, input, errors),
                steps,
            }
        }
        Data::Enum(data) => {
            for (key, span) in [("start", keys.start_span), ("steps", keys.steps_span)] {
                if let Some(span) = span {
                    errors.spanned(
                        span,
                        format!(
                            "`{key}` is for struct machines: an enum machine's steps are its \
                             variants, and it starts at the variant you construct"
                        ),
                    );
                }
            }
            if data.variants.is_empty() {
                errors.spanned(
                    name.span(),
                    "an enum machine needs at least one variant (each variant is a step)",
                );
            }
            Shape::Enum {
                variants: variants(data, errors),
            }
        }
        Data::Union(data) => {
            errors.spanned(
                data.union_token.span(),
                "`StateMachine` cannot be derived for a union; use a struct (steps named in \
                 `#[machine(steps(..))]`) or an enum (one variant per step)",
            );
            Shape::Enum {
                variants: Vec::new(),
            }
        }
    };
    if keys.output.is_none() && keys.seen_any {
        errors.spanned(
            keys.first_span.unwrap_or(name.span()),
            "missing `output = Type` in `#[machine(..)]`: the type the machine finishes with",
        );
    } else if !keys.seen_any {
        errors.spanned(
            name.span(),
            "`#[derive(StateMachine)]` needs a `#[machine(output = Type, ..)]` attribute \
             (for a struct also `start = step` and `steps(step, ..)`)",
        );
    }
    Model {
        krate: keys.krate.unwrap_or_else(|| syn::parse_quote!(::blitz_io)),
        output: keys.output,
        tag,
        project,
        shape,
    }
}

/// The keys of every `#[machine(..)]` attribute on the type, each at most once.
#[derive(Default)]
struct Keys {
    seen_any: bool,
    first_span: Option<Span>,
    output: Option<Type>,
    start: Option<Ident>,
    start_span: Option<Span>,
    steps: Option<Vec<Ident>>,
    steps_span: Option<Span>,
    tag: Option<Ident>,
    project: Option<Ident>,
    krate: Option<syn::Path>,
    seen: Vec<String>,
}

fn parse_machine_attr(attr: &Attribute, keys: &mut Keys, errors: &mut Errors) {
    keys.seen_any = true;
    keys.first_span.get_or_insert(attr.span());
    if let syn::Meta::Path(path) = &attr.meta {
        errors.spanned(path.span(), format!("`#[machine]` needs arguments: {KEYS}"));
        return;
    }
    let result = attr.parse_nested_meta(|meta| {
        let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
            errors.spanned(
                meta.path.span(),
                format!("unknown key; expected one of {KEYS}"),
            );
            return skip_value(&meta);
        };
        if keys.seen.contains(&key) {
            errors.spanned(meta.path.span(), format!("duplicate key `{key}`"));
            return skip_value(&meta);
        }
        keys.seen.push(key.clone());
        match key.as_str() {
            "output" => keys.output = Some(meta.value()?.parse()?),
            "start" => {
                keys.start_span = Some(meta.path.span());
                keys.start = Some(meta.value()?.parse()?);
            }
            "tag" => keys.tag = Some(meta.value()?.parse()?),
            "project" => keys.project = Some(meta.value()?.parse()?),
            "crate" => {
                let path: LitStr = meta.value()?.parse()?;
                match path.parse::<syn::Path>() {
                    Ok(path) => keys.krate = Some(path),
                    Err(_) => {
                        errors.spanned(path.span(), "`crate` must be a path, like \"::blitz_io\"")
                    }
                }
            }
            "steps" => {
                keys.steps_span = Some(meta.path.span());
                let mut steps = Vec::new();
                meta.parse_nested_meta(|step| {
                    match step.path.get_ident() {
                        Some(ident) if step.input.is_empty() || step.input.peek(Token![,]) => {
                            steps.push(ident.clone())
                        }
                        _ => {
                            errors.spanned(
                                step.path.span(),
                                "a step is a method name, like `steps(connect, wait)`",
                            );
                            skip_value(&step)?;
                        }
                    }
                    Ok(())
                })?;
                keys.steps = Some(steps);
            }
            _ => {
                errors.spanned(
                    meta.path.span(),
                    format!("unknown key `{key}`; expected one of {KEYS}"),
                );
                return skip_value(&meta);
            }
        }
        Ok(())
    });
    if let Err(error) = result {
        errors.push(error);
    }
}

/// Consumes a key's value (`= expr` or `(..)`) so parsing can go on after an error.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn reject_packed(attr: &Attribute, errors: &mut Errors) {
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("packed") {
            errors.spanned(
                meta.path.span(),
                "a state machine cannot be `repr(packed)`: its `#[pin]` fields would be unaligned",
            );
        }
        skip_value(&meta)
    });
}

fn struct_steps(keys: &Keys, errors: &mut Errors) -> Vec<Ident> {
    let Some(steps) = &keys.steps else {
        if keys.seen_any {
            errors.spanned(
                keys.first_span.unwrap_or_else(Span::call_site),
                "missing `steps(..)` in `#[machine(..)]`: list the step methods, like `steps(arm, wait)`",
            );
        }
        return Vec::new();
    };
    if steps.is_empty() {
        errors.spanned(
            keys.steps_span.unwrap_or_else(Span::call_site),
            "`steps(..)` lists no step",
        );
    }
    if steps.len() > MAX_STEPS {
        errors.spanned(
            keys.steps_span.unwrap_or_else(Span::call_site),
            format!("a machine has at most {MAX_STEPS} steps (its tag is one byte)"),
        );
    }
    let mut unique: Vec<Ident> = Vec::new();
    for step in steps {
        let camel = upper_camel(step);
        if let Some(first) = unique.iter().find(|seen| upper_camel(seen) == camel) {
            let message = if *first == *step {
                format!("duplicate step `{step}`")
            } else {
                format!("step `{step}` and step `{first}` would share the tag variant `{camel}`")
            };
            errors.spanned(step.span(), message);
        } else {
            unique.push(step.clone());
        }
    }
    unique
}

fn struct_start(
    keys: &Keys,
    steps: &[Ident],
    input: &DeriveInput,
    errors: &mut Errors,
) -> Option<Ident> {
    let Some(start) = &keys.start else {
        if keys.seen_any {
            errors.spanned(
                keys.first_span.unwrap_or(input.ident.span()),
                "missing `start = step` in `#[machine(..)]`: the step a new machine runs first",
            );
        }
        return None;
    };
    if !steps.is_empty() && !steps.contains(start) {
        let listed: Vec<String> = steps.iter().map(|s| format!("`{s}`")).collect();
        errors.spanned(
            start.span(),
            format!(
                "`start = {start}` names no step; the steps are {}",
                listed.join(", ")
            ),
        );
        return None;
    }
    Some(start.clone())
}

fn fields(fields: &Fields, errors: &mut Errors) -> (Vec<Field>, Style) {
    let style = match fields {
        Fields::Named(_) => Style::Named,
        Fields::Unnamed(_) => Style::Tuple,
        Fields::Unit => Style::Unit,
    };
    let fields = fields
        .iter()
        .enumerate()
        .map(|(index, field)| Field {
            member: match &field.ident {
                Some(ident) => syn::Member::Named(ident.clone()),
                None => syn::Member::Unnamed(index.into()),
            },
            vis: field.vis.clone(),
            ty: field.ty.clone(),
            pinned: field_is_pinned(&field.attrs, errors),
        })
        .collect();
    (fields, style)
}

fn field_is_pinned(attrs: &[Attribute], errors: &mut Errors) -> bool {
    let mut pinned = false;
    for attr in attrs {
        if attr.path().is_ident("pin") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.spanned(attr.meta.span(), "`#[pin]` takes no arguments");
            } else if pinned {
                errors.spanned(attr.span(), "duplicate `#[pin]`");
            }
            pinned = true;
        } else if attr.path().is_ident("machine") {
            errors.spanned(
                attr.span(),
                "`#[machine(..)]` goes on the machine type; fields take only `#[pin]`",
            );
        }
    }
    pinned
}

fn variants(data: &syn::DataEnum, errors: &mut Errors) -> Vec<Variant> {
    if data.variants.len() > MAX_STEPS {
        errors.spanned(
            data.enum_token.span(),
            format!("a machine has at most {MAX_STEPS} steps (its tag is one byte)"),
        );
    }
    let mut variants: Vec<Variant> = Vec::new();
    for variant in &data.variants {
        let mut by_value: Option<Span> = None;
        for attr in &variant.attrs {
            if attr.path().is_ident("pin") {
                errors.spanned(attr.span(), "`#[pin]` goes on a field, not on a variant");
            } else if attr.path().is_ident("machine") {
                let result = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("by_value") && by_value.is_none() {
                        by_value = Some(meta.path.span());
                    } else if meta.path.is_ident("by_value") {
                        errors.spanned(meta.path.span(), "duplicate key `by_value`");
                    } else {
                        errors.spanned(
                            meta.path.span(),
                            "unknown variant key; a variant accepts only `#[machine(by_value)]`",
                        );
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
                if let Err(error) = result {
                    errors.push(error);
                }
            }
        }
        if let Some((_, discriminant)) = &variant.discriminant {
            errors.spanned(
                discriminant.span(),
                "a machine's variants take no explicit discriminant",
            );
        }
        let method = method_ident(&variant.ident);
        if let Some(first) = variants.iter().find(|v| v.method == method) {
            errors.spanned(
                variant.ident.span(),
                format!(
                    "variants `{}` and `{}` would share the step method `{method}`",
                    first.ident, variant.ident
                ),
            );
        }
        let (fields, style) = fields(&variant.fields, errors);
        if let Some(span) = by_value {
            if fields.iter().any(|field| field.pinned) {
                errors.spanned(
                    span,
                    format!(
                        "state `{}` has `#[pin]` fields, so its step cannot take it by value                          (that would move pinned data); drop `by_value` to receive `Pin<&mut _>`                          and `&mut _` instead",
                        variant.ident
                    ),
                );
            }
        }
        variants.push(Variant {
            ident: variant.ident.clone(),
            method,
            style,
            fields,
            by_value: by_value.is_some(),
        });
    }
    variants
}

/// `wait_for_reply` -> `WaitForReply`.
pub(crate) fn upper_camel(ident: &Ident) -> String {
    let text = ident.to_string();
    let text = text.strip_prefix("r#").unwrap_or(&text);
    let mut out = String::new();
    for word in text.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out.push_str("Step");
    }
    out
}

/// The step method of a variant: `WaitForReply` -> `wait_for_reply`, `HTTPGet` -> `http_get`;
/// a keyword (`Loop` -> `loop`) becomes a raw identifier (`r#loop`).
fn method_ident(variant: &Ident) -> Ident {
    let name = variant.to_string();
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
