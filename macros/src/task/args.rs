//! Parsing the arguments of `#[task]`, validating the function, and lowering its signature
//! (elided lifetimes named, the future's name chosen).

use crate::names::upper_camel;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprLit, FnArg, Lit, Meta, Token};

pub(crate) use crate::errors::Errors;

/// The validated arguments.
pub(crate) struct Config {
    pub(crate) blocking: bool,
    pub(crate) name: Option<syn::Ident>,
    pub(crate) crate_path: syn::Path,
}

const ACCEPTED: &str = "`#[task]` accepts `blocking`, `name = Ident` and `crate = \"path\"`";

pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Config {
    let mut config = Config {
        blocking: false,
        name: None,
        crate_path: syn::parse_quote!(::blitz_io),
    };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(error) => {
            errors.spanned(error.span(), ACCEPTED);
            return config;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in &metas {
        let Some(key) = meta.path().get_ident().map(ToString::to_string) else {
            errors.spanned(meta.path().span(), format!("unknown argument; {ACCEPTED}"));
            continue;
        };
        if seen.contains(&key) {
            errors.spanned(meta.path().span(), format!("duplicate argument `{key}`"));
            continue;
        }
        seen.push(key.clone());
        match (key.as_str(), meta) {
            ("blocking", Meta::Path(_)) => config.blocking = true,
            ("blocking", _) => errors.spanned(meta.span(), "`blocking` takes no value"),
            ("name", Meta::NameValue(pair)) => match &pair.value {
                Expr::Path(path) if path.attrs.is_empty() && path.qself.is_none() => {
                    match path.path.get_ident() {
                        Some(ident) => config.name = Some(ident.clone()),
                        None => not_an_ident(errors, &pair.value),
                    }
                }
                value => not_an_ident(errors, value),
            },
            ("crate", Meta::NameValue(pair)) => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => match syn::parse_str::<syn::Path>(&s.value()) {
                    Ok(path) => config.crate_path = path,
                    Err(_) => errors.spanned(
                        s.span(),
                        format!(
                            "`crate` must name a path, like \"blitz_io\"; `{}` is not one",
                            s.value()
                        ),
                    ),
                },
                value => errors.spanned(value.span(), "`crate` must be a string literal"),
            },
            ("name" | "crate", _) => {
                errors.spanned(meta.span(), format!("write `{key} = ...`"));
            }
            (other, _) => {
                errors.spanned(
                    meta.path().span(),
                    format!("unknown argument `{other}`; {ACCEPTED}"),
                );
            }
        }
    }
    config
}

fn not_an_ident(errors: &mut Errors, value: &Expr) {
    errors.spanned(
        value.span(),
        "`name` must be an identifier, like `name = FetchUser` (no quotes, no path)",
    );
}

/// The function's signature, lowered: what the generator needs.
pub(crate) struct Lowered {
    /// The future's type name.
    pub(crate) name: syn::Ident,
    /// The generics of the future and of the wrapper function: the function's own, with a
    /// named lifetime in front for each elided one in the arguments.
    pub(crate) generics: syn::Generics,
    /// Argument types with elided lifetimes named.
    pub(crate) arg_types: Vec<syn::Type>,
    /// Argument patterns, as written.
    pub(crate) arg_pats: Vec<syn::Pat>,
    /// The output type (`()` when none), with elided lifetimes named when elision has one
    /// answer.
    pub(crate) output: syn::Type,
}

/// Validates the function (errors go to `errors`) and lowers its signature.
pub(crate) fn lower(config: &Config, function: &syn::ItemFn, errors: &mut Errors) -> Lowered {
    let sig = &function.sig;
    if let Some(token) = &sig.asyncness {
        errors.spanned(
            token.span,
            "`#[task]` turns a plain `fn` into a function returning a future; an `async fn` \
             already is one: remove `async` (or remove `#[task]`)",
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.spanned(token.span, "`#[task]` does not support `unsafe fn`");
    }
    if let Some(token) = &sig.constness {
        errors.spanned(token.span, "`#[task]` does not support `const fn`");
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi.span(), "`#[task]` does not support `extern` functions");
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic.span(),
            "`#[task]` does not support variadic functions",
        );
    }
    if config.blocking {
        for param in sig.generics.lifetimes() {
            errors.spanned(
                param.span(),
                "`#[task(blocking)]` runs the body on another thread, so its arguments must \
                 be `'static`: remove the lifetime parameter",
            );
        }
    }
    let mut namer = LifetimeNamer::default();
    let mut arg_types = Vec::new();
    let mut arg_pats = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let message = if config.blocking && receiver.reference.is_some() {
                    "`#[task(blocking)]` cannot borrow `self`: the body runs on another thread. \
                     `#[task]` goes on free functions only (the future's type cannot be \
                     declared inside an `impl` block): write \
                     `#[task(blocking)] fn name(this: Arc<Type>, ..)` outside the `impl`"
                } else {
                    "`#[task]` goes on free functions: the future's type cannot be declared \
                     inside an `impl` block. Write `#[task] fn name(this: &Type, ..)` outside \
                     the `impl` (its future borrows `this`), or make the method an `async fn`"
                };
                errors.push(syn::Error::new_spanned(receiver, message));
            }
            FnArg::Typed(typed) => {
                let mut ty = (*typed.ty).clone();
                namer.visit_type_mut(&mut ty);
                arg_types.push(ty);
                arg_pats.push((*typed.pat).clone());
            }
        }
    }
    for tokens in &namer.impl_traits {
        errors.push(syn::Error::new_spanned(
            tokens,
            "`#[task]` needs a nameable argument type: replace `impl Trait` with a generic \
             parameter, `fn name<T: Trait>(arg: T)`",
        ));
    }
    if config.blocking {
        for tokens in &namer.references {
            errors.push(syn::Error::new_spanned(
                tokens,
                "`#[task(blocking)]` runs the body on another thread, so its arguments must be \
                 `'static`: pass an owned value (or an `Arc`) instead of a reference",
            ));
        }
    }
    let mut output = match &sig.output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, ty) => (**ty).clone(),
    };
    let mut output_check = LifetimeNamer::default();
    output_check.visit_type_mut(&mut output.clone());
    for tokens in &output_check.impl_traits {
        errors.push(syn::Error::new_spanned(
            tokens,
            "`#[task]` needs a nameable output type: `impl Trait` cannot be a future's `Output`",
        ));
    }
    // Lifetime elision in the output: when the arguments hold exactly one lifetime.
    let declared: Vec<syn::Lifetime> = sig
        .generics
        .lifetimes()
        .map(|l| l.lifetime.clone())
        .collect();
    let only = match (namer.fresh.as_slice(), declared.as_slice()) {
        ([one], []) | ([], [one]) => Some(one.clone()),
        _ => None,
    };
    if let Some(only) = only {
        ElisionFiller(only).visit_type_mut(&mut output);
    }
    let mut generics = sig.generics.clone();
    let fresh_params = namer
        .fresh
        .into_iter()
        .map(|lifetime| syn::GenericParam::Lifetime(syn::LifetimeParam::new(lifetime)));
    let rest = std::mem::take(&mut generics.params);
    generics.params = fresh_params.chain(rest).collect();
    if generics.params.is_empty() {
        generics.lt_token = None;
        generics.gt_token = None;
    } else {
        generics.lt_token.get_or_insert_with(Default::default);
        generics.gt_token.get_or_insert_with(Default::default);
    }
    let name = config
        .name
        .clone()
        .unwrap_or_else(|| syn::Ident::new(&upper_camel(&sig.ident, "Task"), sig.ident.span()));
    Lowered {
        name,
        generics,
        arg_types,
        arg_pats,
        output,
    }
}

/// Names each elided lifetime of an argument type (`&T`, `'_`) and records what `#[task]`
/// must reject or check: `impl Trait` and references. Leaves `fn(&T)` and `Fn(&T)` alone
/// (their elided lifetimes are higher-ranked).
#[derive(Default)]
struct LifetimeNamer {
    fresh: Vec<syn::Lifetime>,
    impl_traits: Vec<TokenStream>,
    references: Vec<TokenStream>,
}

impl LifetimeNamer {
    fn next(&mut self) -> syn::Lifetime {
        let lifetime =
            syn::Lifetime::new(&format!("'__task{}", self.fresh.len()), Span::call_site());
        self.fresh.push(lifetime.clone());
        lifetime
    }
}

impl VisitMut for LifetimeNamer {
    fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
        let is_static = matches!(&reference.lifetime, Some(l) if l.ident == "static");
        if !is_static {
            self.references.push(reference.to_token_stream());
        }
        if reference.lifetime.is_none() {
            reference.lifetime = Some(self.next());
        }
        syn::visit_mut::visit_type_reference_mut(self, reference);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.next();
        }
    }

    fn visit_type_impl_trait_mut(&mut self, ty: &mut syn::TypeImplTrait) {
        self.impl_traits.push(ty.to_token_stream());
    }

    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}

    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }
}

/// Fills the output's elided lifetimes with the one the elision rules pick.
struct ElisionFiller(syn::Lifetime);

impl VisitMut for ElisionFiller {
    fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
        if reference.lifetime.is_none() {
            reference.lifetime = Some(self.0.clone());
        }
        syn::visit_mut::visit_type_reference_mut(self, reference);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.0.clone();
        }
    }

    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}

    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }
}
