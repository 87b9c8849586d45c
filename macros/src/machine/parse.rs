//! Reading `#[derive(StateMachine)]`'s input into a plain [`Input`] model.
//!
//! This phase only reads tokens: it walks the type's attributes, fields and variants and
//! records what it finds, in source order, without judging it — [`validate`](super::validate)
//! does that. A known key's value is parsed with the syntax that key takes; an unknown or
//! repeated key is recorded and its value skipped, so one bad key never hides the next. A
//! syntax error ends its attribute (syn cannot resume inside one) and is kept at that point,
//! so every problem can be reported in the order it was written. Nothing here pushes an error.

use proc_macro2::{Ident, Span};
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, LitStr, Token, Type, Visibility};

/// Everything the derive reads from the item.
pub(crate) struct Input {
    /// The machine type's name.
    pub(crate) ident: Ident,
    /// The type's attributes that concern the derive, in order.
    pub(crate) attrs: Vec<TypeAttr>,
    pub(crate) body: Body,
}

pub(crate) enum TypeAttr {
    /// `#[machine(..)]`.
    Machine(MachineAttr),
    /// `#[pin]` on the type itself (its span).
    Pin(Span),
    /// `packed` inside a `#[repr(..)]` (its span).
    Packed(Span),
}

/// One `#[machine(..)]` on the type.
pub(crate) struct MachineAttr {
    pub(crate) span: Span,
    /// `#[machine]` without arguments: the path's span (no entries then).
    pub(crate) bare: Option<Span>,
    pub(crate) entries: Vec<Entry>,
    /// The syntax error that ended the attribute, after its last entry.
    pub(crate) error: Option<syn::Error>,
}

/// One `key = value` or `key(..)` of a `#[machine(..)]`, spanned on its key.
pub(crate) struct Entry {
    pub(crate) span: Span,
    pub(crate) kind: EntryKind,
}

/// A key and its value; `None` when the value failed to parse (the attribute's `error` says
/// why). Each known key appears at most once in an [`Input`]: a repeat is `Duplicate`.
pub(crate) enum EntryKind {
    /// A key that is not a single identifier (`a::b = ..`).
    NotIdent,
    /// A key given before, in this or an earlier attribute; its value is skipped.
    Duplicate(String),
    /// A key the derive does not know; its value is skipped.
    Unknown(String),
    Output(Option<Type>),
    Start(Option<Ident>),
    Tag(Option<Ident>),
    Project(Option<Ident>),
    /// `crate = "path"`: the path, or the string when it does not hold one.
    Crate(Option<Result<syn::Path, LitStr>>),
    /// `steps(..)`: each item a method name, or the span of something that is not one;
    /// `complete` is false when the list ended in a syntax error.
    Steps {
        items: Vec<Result<Ident, Span>>,
        complete: bool,
    },
}

pub(crate) enum Body {
    Struct(Fields),
    Enum {
        /// The `enum` keyword's span.
        span: Span,
        variants: Vec<Variant>,
    },
    /// The `union` keyword's span.
    Union(Span),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Named,
    Tuple,
    Unit,
}

pub(crate) struct Fields {
    pub(crate) style: Style,
    pub(crate) fields: Vec<Field>,
}

pub(crate) struct Field {
    pub(crate) member: syn::Member,
    pub(crate) vis: Visibility,
    pub(crate) ty: Type,
    /// The field's `#[pin]` and `#[machine]` attributes, in order.
    pub(crate) attrs: Vec<FieldAttr>,
}

pub(crate) enum FieldAttr {
    /// `#[pin]`, or `#[pin(..)]`/`#[pin = ..]` when `args` holds the meta's span.
    Pin { span: Span, args: Option<Span> },
    /// `#[machine(..)]` on a field (its span).
    Machine(Span),
}

impl Field {
    /// Whether any `#[pin]` marks the field (even a malformed one: it was meant as a pin).
    pub(crate) fn pinned(&self) -> bool {
        self.attrs
            .iter()
            .any(|attr| matches!(attr, FieldAttr::Pin { .. }))
    }
}

pub(crate) struct Variant {
    pub(crate) ident: Ident,
    /// The variant's `#[pin]` and `#[machine(..)]` attributes, in order.
    pub(crate) attrs: Vec<VariantAttr>,
    /// The span of an explicit `= discriminant`.
    pub(crate) discriminant: Option<Span>,
    pub(crate) fields: Fields,
}

pub(crate) enum VariantAttr {
    /// `#[pin]` on the variant (its span).
    Pin(Span),
    /// `#[machine(..)]`: its keys, then the syntax error that ended it, if any.
    Machine {
        keys: Vec<VariantKey>,
        error: Option<syn::Error>,
    },
}

pub(crate) enum VariantKey {
    ByValue(Span),
    Unknown(Span),
}

/// The first value written for each key: what validation and lowering work from.
pub(crate) struct Settings<'a> {
    /// Whether the type has any `#[machine]` attribute, and the first one's span.
    pub(crate) first: Option<Span>,
    pub(crate) output: Option<&'a Type>,
    /// The span of the `start` key (even when its value failed to parse) and its value.
    pub(crate) start: Option<(Span, Option<&'a Ident>)>,
    /// The span of the `steps` key and its method names, `None` when the list failed to parse.
    pub(crate) steps: Option<(Span, Option<Vec<Ident>>)>,
    pub(crate) tag: Option<&'a Ident>,
    pub(crate) project: Option<&'a Ident>,
    pub(crate) krate: Option<&'a syn::Path>,
}

impl Input {
    pub(crate) fn settings(&self) -> Settings<'_> {
        let mut settings = Settings {
            first: None,
            output: None,
            start: None,
            steps: None,
            tag: None,
            project: None,
            krate: None,
        };
        for attr in &self.attrs {
            let TypeAttr::Machine(attr) = attr else {
                continue;
            };
            settings.first.get_or_insert(attr.span);
            for entry in &attr.entries {
                match &entry.kind {
                    EntryKind::Output(output) => settings.output = output.as_ref(),
                    EntryKind::Start(start) => settings.start = Some((entry.span, start.as_ref())),
                    EntryKind::Steps { items, complete } => {
                        let steps = complete.then(|| items.iter().flatten().cloned().collect());
                        settings.steps = Some((entry.span, steps));
                    }
                    EntryKind::Tag(tag) => settings.tag = tag.as_ref(),
                    EntryKind::Project(project) => settings.project = project.as_ref(),
                    EntryKind::Crate(Some(Ok(path))) => settings.krate = Some(path),
                    _ => {}
                }
            }
        }
        settings
    }
}

pub(crate) fn parse(input: &DeriveInput) -> Input {
    let mut attrs = Vec::new();
    let mut seen = Vec::new();
    for attr in &input.attrs {
        if attr.path().is_ident("machine") {
            attrs.push(TypeAttr::Machine(machine_attr(attr, &mut seen)));
        } else if attr.path().is_ident("pin") {
            attrs.push(TypeAttr::Pin(attr.span()));
        } else if attr.path().is_ident("repr") {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("packed") {
                    attrs.push(TypeAttr::Packed(meta.path.span()));
                }
                skip_value(&meta)
            });
        }
    }
    let body = match &input.data {
        Data::Struct(data) => Body::Struct(fields(&data.fields)),
        Data::Enum(data) => Body::Enum {
            span: data.enum_token.span(),
            variants: data.variants.iter().map(variant).collect(),
        },
        Data::Union(data) => Body::Union(data.union_token.span()),
    };
    Input {
        ident: input.ident.clone(),
        attrs,
        body,
    }
}

/// `seen` holds every identifier key met so far, known or not, across the type's attributes.
fn machine_attr(attr: &Attribute, seen: &mut Vec<String>) -> MachineAttr {
    let mut parsed = MachineAttr {
        span: attr.span(),
        bare: None,
        entries: Vec::new(),
        error: None,
    };
    if let syn::Meta::Path(path) = &attr.meta {
        parsed.bare = Some(path.span());
        return parsed;
    }
    let entries = &mut parsed.entries;
    let result = attr.parse_nested_meta(|meta| {
        let span = meta.path.span();
        let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
            entries.push(Entry {
                span,
                kind: EntryKind::NotIdent,
            });
            return skip_value(&meta);
        };
        if seen.contains(&key) {
            entries.push(Entry {
                span,
                kind: EntryKind::Duplicate(key),
            });
            return skip_value(&meta);
        }
        seen.push(key.clone());
        let (kind, error) = match key.as_str() {
            "output" => split(value(&meta), EntryKind::Output),
            "start" => split(value(&meta), EntryKind::Start),
            "tag" => split(value(&meta), EntryKind::Tag),
            "project" => split(value(&meta), EntryKind::Project),
            "crate" => {
                let path = value::<LitStr>(&meta).map(|lit| lit.parse().map_err(|_| lit));
                split(path, EntryKind::Crate)
            }
            "steps" => steps(&meta),
            _ => {
                entries.push(Entry {
                    span,
                    kind: EntryKind::Unknown(key),
                });
                return skip_value(&meta);
            }
        };
        entries.push(Entry { span, kind });
        error.map_or(Ok(()), Err)
    });
    parsed.error = result.err();
    parsed
}

fn value<T: Parse>(meta: &ParseNestedMeta<'_>) -> syn::Result<T> {
    meta.value()?.parse()
}

/// The entry for a parsed value, and the error to stop the attribute with if it failed.
fn split<T>(
    value: syn::Result<T>,
    kind: fn(Option<T>) -> EntryKind,
) -> (EntryKind, Option<syn::Error>) {
    match value {
        Ok(value) => (kind(Some(value)), None),
        Err(error) => (kind(None), Some(error)),
    }
}

fn steps(meta: &ParseNestedMeta<'_>) -> (EntryKind, Option<syn::Error>) {
    let mut items = Vec::new();
    let result = meta.parse_nested_meta(|step| {
        match step.path.get_ident() {
            Some(ident) if step.input.is_empty() || step.input.peek(Token![,]) => {
                items.push(Ok(ident.clone()))
            }
            _ => {
                items.push(Err(step.path.span()));
                skip_value(&step)?;
            }
        }
        Ok(())
    });
    let complete = result.is_ok();
    (EntryKind::Steps { items, complete }, result.err())
}

/// Consumes a key's value (`= expr` or `(..)`) so parsing can go on after it.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn fields(fields: &syn::Fields) -> Fields {
    let style = match fields {
        syn::Fields::Named(_) => Style::Named,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
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
            attrs: field
                .attrs
                .iter()
                .filter_map(|attr| {
                    if attr.path().is_ident("pin") {
                        let args = !matches!(attr.meta, syn::Meta::Path(_));
                        Some(FieldAttr::Pin {
                            span: attr.span(),
                            args: args.then(|| attr.meta.span()),
                        })
                    } else if attr.path().is_ident("machine") {
                        Some(FieldAttr::Machine(attr.span()))
                    } else {
                        None
                    }
                })
                .collect(),
        })
        .collect();
    Fields { style, fields }
}

fn variant(variant: &syn::Variant) -> Variant {
    let mut attrs = Vec::new();
    for attr in &variant.attrs {
        if attr.path().is_ident("pin") {
            attrs.push(VariantAttr::Pin(attr.span()));
        } else if attr.path().is_ident("machine") {
            let mut keys = Vec::new();
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("by_value") {
                    keys.push(VariantKey::ByValue(meta.path.span()));
                    Ok(())
                } else {
                    keys.push(VariantKey::Unknown(meta.path.span()));
                    skip_value(&meta)
                }
            });
            attrs.push(VariantAttr::Machine {
                keys,
                error: result.err(),
            });
        }
    }
    Variant {
        ident: variant.ident.clone(),
        attrs,
        discriminant: variant
            .discriminant
            .as_ref()
            .map(|(_, discriminant)| discriminant.span()),
        fields: fields(&variant.fields),
    }
}
