//! Every check on `#[derive(StateMachine)]`'s input, in one pass over the parsed [`Input`].
//!
//! Each problem becomes an error spanned on the offending tokens, and the pass goes on, so one
//! compile shows them all. Errors come out in a fixed order — the type's attributes as written,
//! then the fields or variants, then the keys that are missing — which the blessed `.stderr`
//! files rely on.
//!
//! A derive sees the type, never its `impl` blocks, so some mistakes are left to rustc, which
//! reports them on tokens the generated code borrows from the attribute: a step listed but not
//! written, or written with the wrong signature (the dispatch calls it with the step name's
//! span), a transition to an unknown step (no such variant of the tag), and a step no
//! transition reaches (`dead_code` on its tag variant, for a machine that is not `pub`).

use proc_macro2::{Ident, Span};

use super::lower::upper_camel;
use super::parse::{
    Body, EntryKind, Field, FieldAttr, Input, Settings, TypeAttr, Variant, VariantAttr, VariantKey,
};
use crate::errors::Errors;
use crate::names::method_ident;

const KEYS: &str = "`output`, `start`, `steps`, `tag`, `project` and `crate`";

/// The most steps a `u8` tag holds while leaving a niche for "finished".
const MAX_STEPS: usize = 255;

pub(crate) fn validate(input: &Input, errors: &mut Errors) {
    let settings = input.settings();
    type_attrs(input, errors);
    match &input.body {
        Body::Struct(fields) => {
            field_attrs(&fields.fields, errors);
            let steps = struct_steps(&settings, errors);
            struct_start(&settings, &steps, errors);
        }
        Body::Enum { span, variants } => {
            let start = settings.start.map(|(span, _)| span);
            let steps = settings.steps.as_ref().map(|(span, _)| *span);
            for (key, span) in [("start", start), ("steps", steps)] {
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
            if variants.is_empty() {
                errors.spanned(
                    input.ident.span(),
                    "an enum machine needs at least one variant (each variant is a step)",
                );
            }
            enum_variants(*span, variants, errors);
        }
        Body::Union(span) => errors.spanned(
            *span,
            "`StateMachine` cannot be derived for a union; use a struct (steps named in \
             `#[machine(steps(..))]`) or an enum (one variant per step)",
        ),
    }
    match settings.first {
        Some(first) if settings.output.is_none() => errors.spanned(
            first,
            "missing `output = Type` in `#[machine(..)]`: the type the machine finishes with",
        ),
        Some(_) => {}
        None => errors.spanned(
            input.ident.span(),
            "`#[derive(StateMachine)]` needs a `#[machine(output = Type, ..)]` attribute \
             (for a struct also `start = step` and `steps(step, ..)`)",
        ),
    }
}

/// Unknown, duplicate and malformed keys, and attributes in the wrong place.
fn type_attrs(input: &Input, errors: &mut Errors) {
    for attr in &input.attrs {
        let attr = match attr {
            TypeAttr::Machine(attr) => attr,
            TypeAttr::Pin(span) => {
                errors.spanned(*span, "`#[pin]` goes on a field, not on the machine type");
                continue;
            }
            TypeAttr::Packed(span) => {
                errors.spanned(
                    *span,
                    "a state machine cannot be `repr(packed)`: its `#[pin]` fields would be \
                     unaligned",
                );
                continue;
            }
        };
        if let Some(span) = attr.bare {
            errors.spanned(span, format!("`#[machine]` needs arguments: {KEYS}"));
        }
        for entry in &attr.entries {
            match &entry.kind {
                EntryKind::NotIdent => {
                    errors.spanned(entry.span, format!("unknown key; expected one of {KEYS}"))
                }
                EntryKind::Duplicate(key) => {
                    errors.spanned(entry.span, format!("duplicate key `{key}`"))
                }
                EntryKind::Unknown(key) => errors.spanned(
                    entry.span,
                    format!("unknown key `{key}`; expected one of {KEYS}"),
                ),
                EntryKind::Crate(Some(Err(lit))) => {
                    errors.spanned(lit.span(), "`crate` must be a path, like \"::blitz_io\"")
                }
                EntryKind::Steps { items, .. } => {
                    for span in items.iter().filter_map(|item| item.as_ref().err()) {
                        errors.spanned(
                            *span,
                            "a step is a method name, like `steps(connect, wait)`",
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some(error) = &attr.error {
            errors.push(error.clone());
        }
    }
}

/// `#[pin]` with arguments or twice, and `#[machine]` on a field.
fn field_attrs(fields: &[Field], errors: &mut Errors) {
    for field in fields {
        let mut pinned = false;
        for attr in &field.attrs {
            match attr {
                FieldAttr::Pin {
                    args: Some(span), ..
                } => errors.spanned(*span, "`#[pin]` takes no arguments"),
                FieldAttr::Pin { span, args: None } if pinned => {
                    errors.spanned(*span, "duplicate `#[pin]`")
                }
                FieldAttr::Pin { .. } => {}
                FieldAttr::Machine(span) => errors.spanned(
                    *span,
                    "`#[machine(..)]` goes on the machine type; fields take only `#[pin]`",
                ),
            }
            pinned |= matches!(attr, FieldAttr::Pin { .. });
        }
    }
}

/// A struct machine's `steps(..)`: present, not empty, not too many, no two with one tag
/// variant. Returns the distinct steps.
fn struct_steps(settings: &Settings<'_>, errors: &mut Errors) -> Vec<Ident> {
    let Some((span, Some(steps))) = &settings.steps else {
        if let Some(first) = settings.first {
            errors.spanned(
                first,
                "missing `steps(..)` in `#[machine(..)]`: list the step methods, like `steps(arm, wait)`",
            );
        }
        return Vec::new();
    };
    if steps.is_empty() {
        errors.spanned(*span, "`steps(..)` lists no step");
    }
    if steps.len() > MAX_STEPS {
        errors.spanned(
            *span,
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

/// A struct machine's `start = step`: present, and one of the steps.
fn struct_start(settings: &Settings<'_>, steps: &[Ident], errors: &mut Errors) {
    let Some((_, Some(start))) = settings.start else {
        if let Some(first) = settings.first {
            errors.spanned(
                first,
                "missing `start = step` in `#[machine(..)]`: the step a new machine runs first",
            );
        }
        return;
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
    }
}

/// An enum machine's variants: not too many, well-formed keys, no discriminant, distinct step
/// methods, and `by_value` only on a state without `#[pin]` fields.
fn enum_variants(enum_span: Span, variants: &[Variant], errors: &mut Errors) {
    if variants.len() > MAX_STEPS {
        errors.spanned(
            enum_span,
            format!("a machine has at most {MAX_STEPS} steps (its tag is one byte)"),
        );
    }
    for (index, variant) in variants.iter().enumerate() {
        let mut by_value: Option<Span> = None;
        for attr in &variant.attrs {
            match attr {
                VariantAttr::Pin(span) => {
                    errors.spanned(*span, "`#[pin]` goes on a field, not on a variant")
                }
                VariantAttr::Machine { keys, error } => {
                    for key in keys {
                        match *key {
                            VariantKey::ByValue(span) if by_value.is_none() => by_value = Some(span),
                            VariantKey::ByValue(span) => {
                                errors.spanned(span, "duplicate key `by_value`")
                            }
                            VariantKey::Unknown(span) => errors.spanned(
                                span,
                                "unknown variant key; a variant accepts only `#[machine(by_value)]`",
                            ),
                        }
                    }
                    if let Some(error) = error {
                        errors.push(error.clone());
                    }
                }
            }
        }
        if let Some(span) = variant.discriminant {
            errors.spanned(span, "a machine's variants take no explicit discriminant");
        }
        let method = method_ident(&variant.ident);
        let earlier = &variants[..index];
        if let Some(first) = earlier.iter().find(|v| method_ident(&v.ident) == method) {
            errors.spanned(
                variant.ident.span(),
                format!(
                    "variants `{}` and `{}` would share the step method `{method}`",
                    first.ident, variant.ident
                ),
            );
        }
        field_attrs(&variant.fields.fields, errors);
        if let Some(span) = by_value {
            if variant.fields.fields.iter().any(Field::pinned) {
                errors.spanned(
                    span,
                    format!(
                        "state `{}` has `#[pin]` fields, so its step cannot take it by value \
                         (that would move pinned data); drop `by_value` to receive `Pin<&mut _>` \
                         and `&mut _` instead",
                        variant.ident
                    ),
                );
            }
        }
    }
}
