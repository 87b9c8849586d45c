//! Lowering the parsed [`Input`] to the [`Model`] that [`generate`](super::generate) consumes.
//!
//! The model is what the generator needs and nothing else: the runtime path, the output type,
//! the generated names (tag enum, projection method, one step method per variant) and each
//! field with a plain `pinned` flag. Lowering never fails: it runs on invalid input too, taking
//! the first value of each key and dropping what validation rejected (a repeated step, a
//! `start` that names no step), so that beside the errors the generator can still emit the tag
//! enum the user's step methods name.

use crate::names::method_ident;
use proc_macro2::{Ident, Span};

pub(crate) use super::parse::Style;
use super::parse::{self, Body, Input};

/// What the generator works from.
pub(crate) struct Model {
    pub(crate) krate: syn::Path,
    pub(crate) output: Option<syn::Type>,
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

pub(crate) struct Field {
    pub(crate) member: syn::Member,
    pub(crate) vis: syn::Visibility,
    pub(crate) ty: syn::Type,
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

pub(crate) fn lower(input: &Input) -> Model {
    let settings = input.settings();
    let name = &input.ident;
    let tag = settings
        .tag
        .cloned()
        .unwrap_or_else(|| Ident::new(&format!("{name}Step"), name.span()));
    let project = settings
        .project
        .cloned()
        .unwrap_or_else(|| Ident::new("project", Span::call_site()));
    let shape = match &input.body {
        Body::Struct(fields) => {
            let steps = match &settings.steps {
                Some((_, Some(steps))) => distinct_steps(steps),
                _ => Vec::new(),
            };
            let start = match settings.start {
                Some((_, Some(start))) if steps.is_empty() || steps.contains(start) => {
                    Some(start.clone())
                }
                _ => None,
            };
            Shape::Struct {
                fields: lower_fields(&fields.fields),
                style: fields.style,
                start,
                steps,
            }
        }
        Body::Enum { variants, .. } => Shape::Enum {
            variants: variants.iter().map(lower_variant).collect(),
        },
        Body::Union(_) => Shape::Enum {
            variants: Vec::new(),
        },
    };
    Model {
        krate: settings
            .krate
            .cloned()
            .unwrap_or_else(|| syn::parse_quote!(::blitz_io)),
        output: settings.output.cloned(),
        tag,
        project,
        shape,
    }
}

/// The steps in order, without those that repeat an earlier step's tag variant.
fn distinct_steps(steps: &[Ident]) -> Vec<Ident> {
    let mut distinct: Vec<Ident> = Vec::new();
    for step in steps {
        let camel = upper_camel(step);
        if !distinct.iter().any(|seen| upper_camel(seen) == camel) {
            distinct.push(step.clone());
        }
    }
    distinct
}

fn lower_fields(fields: &[parse::Field]) -> Vec<Field> {
    fields
        .iter()
        .map(|field| Field {
            member: field.member.clone(),
            vis: field.vis.clone(),
            ty: field.ty.clone(),
            pinned: field.pinned(),
        })
        .collect()
}

fn lower_variant(variant: &parse::Variant) -> Variant {
    let by_value = variant.attrs.iter().any(|attr| match attr {
        parse::VariantAttr::Machine { keys, .. } => keys
            .iter()
            .any(|key| matches!(key, parse::VariantKey::ByValue(_))),
        parse::VariantAttr::Pin(_) => false,
    });
    Variant {
        ident: variant.ident.clone(),
        method: method_ident(&variant.ident),
        style: variant.fields.style,
        fields: lower_fields(&variant.fields.fields),
        by_value,
    }
}

/// A struct step's tag variant: `wait_for_reply` -> `WaitForReply`.
pub(crate) fn upper_camel(ident: &Ident) -> String {
    crate::names::upper_camel(ident, "Step")
}
