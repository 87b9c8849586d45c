//! Code generation for `#[derive(StateMachine)]`: the step-tag enum, the `StateMachine` and
//! `IntoFuture` impls, and the pin projection with its two soundness guards (no `Drop` impl on
//! the machine; `Unpin` only when every `#[pin]` field is).
//!
//! Names the user cannot see are prefixed `__` and derived from the machine's name; every path
//! is absolute (`::core::..`, or the runtime through `crate = ".."` into its `__private`
//! module). Unsafe code is confined to the projection: one `get_unchecked_mut` per projection
//! and one `Pin::new_unchecked` per `#[pin]` field, never around a user call.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{DeriveInput, GenericParam};

use super::lower::{upper_camel, Field, Model, Shape, Style, Variant};

pub(crate) fn machine(input: &DeriveInput, model: &Model) -> TokenStream {
    let (__cx, __tag, __slot, __state, __next, __output, __transition) = locals();
    let tag_enum = tag_enum(input, model);
    let Some(output) = &model.output else {
        return tag_enum;
    };
    let krate = &model.krate;
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let tag = &model.tag;
    let (names, run_impl, wrapper, extra) = match &model.shape {
        Shape::Struct {
            fields,
            style,
            start,
            steps,
        } => {
            let names: Vec<String> = steps.iter().map(ToString::to_string).collect();
            let start = start.as_ref().map_or_else(
                || quote!(::core::unreachable!()),
                |start| {
                    let variant = Ident::new(&upper_camel(start), start.span());
                    quote!(#tag::#variant)
                },
            );
            let arms = steps.iter().map(|step| {
                let variant = Ident::new(&upper_camel(step), step.span());
                let call = quote_spanned!(step.span()=> Self::#step(self, #__cx));
                quote!(#tag::#variant => #call,)
            });
            let run_impl = quote! {
                impl #impl_generics #krate::__private::TaggedSteps for #name #ty_generics #where_clause {
                    #[inline]
                    fn start_tag(&self) -> #tag {
                        #start
                    }

                    #[inline]
                    fn poll_step(
                        self: ::core::pin::Pin<&mut Self>,
                        #__tag: #tag,
                        #__cx: &mut ::core::task::Context<'_>,
                    ) -> #krate::__private::Transition<Self> {
                        match #__tag { #(#arms)* }
                    }
                }
            };
            let extra = projection(input, model, fields, *style);
            (names, run_impl, quote!(Machine), extra)
        }
        Shape::Enum { variants } => {
            let names = variants
                .iter()
                .map(|v| v.method.unraw().to_string())
                .collect();
            let tag_arms = variants.iter().map(|v| {
                let ident = &v.ident;
                quote!(Self::#ident { .. } => #tag::#ident,)
            });
            let poll_state = enum_poll_state(krate, tag, variants);
            let run_impl = quote! {
                impl #impl_generics #krate::__private::StateEnum for #name #ty_generics #where_clause {
                    #[inline]
                    fn tag(&self) -> #tag {
                        match self { #(#tag_arms)* }
                    }

                    #[inline]
                    fn poll_state(
                        #__slot: ::core::pin::Pin<&mut ::core::option::Option<Self>>,
                        #__cx: &mut ::core::task::Context<'_>,
                    ) -> #krate::__private::Progress<#output> {
                        #poll_state
                    }
                }
            };
            let extra = pin_guards(input, variants.iter().flat_map(|v| &v.fields));
            (names, run_impl, quote!(EnumMachine), extra)
        }
    };
    quote! {
        #tag_enum

        impl #impl_generics #krate::__private::StateMachine for #name #ty_generics #where_clause {
            type Output = #output;
            type Tag = #tag;
            const STEP_NAMES: &'static [&'static str] = &[#(#names),*];

            #[inline]
            fn tag_index(#__tag: #tag) -> usize {
                #__tag as usize
            }
        }

        #run_impl

        impl #impl_generics ::core::future::IntoFuture for #name #ty_generics #where_clause {
            type Output = #output;
            type IntoFuture = #krate::__private::#wrapper<Self>;

            #[inline]
            fn into_future(self) -> #krate::__private::#wrapper<Self> {
                #krate::__private::#wrapper::new(self)
            }
        }

        #extra
    }
}

/// What an invalid input expands to beside its errors: the tag enum and a `StateMachine` impl
/// with the declared output (`()` when missing), so that step methods naming `Transition<Self>`
/// and the tag's variants don't add errors of their own.
pub(crate) fn fallback(input: &DeriveInput, model: &Model) -> TokenStream {
    let krate = &model.krate;
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let output = model
        .output
        .as_ref()
        .map_or_else(|| quote!(()), |output| quote!(#output));
    let tag_enum = tag_enum(input, model);
    let tag = if tag_enum.is_empty() {
        quote!(())
    } else {
        let tag = &model.tag;
        quote!(#tag)
    };
    quote! {
        #tag_enum

        impl #impl_generics #krate::__private::StateMachine for #name #ty_generics #where_clause {
            type Output = #output;
            type Tag = #tag;
            const STEP_NAMES: &'static [&'static str] = &[];

            fn tag_index(_: #tag) -> usize {
                0
            }
        }
    }
}

/// The `u8` step tag: one variant per step, in declaration order (nothing when there is no
/// step: a `u8` enum needs a variant).
pub(crate) fn tag_enum(input: &DeriveInput, model: &Model) -> TokenStream {
    let vis = &input.vis;
    let tag = &model.tag;
    let variants: Vec<Ident> = match &model.shape {
        Shape::Struct { steps, .. } => steps
            .iter()
            .map(|step| Ident::new(&upper_camel(step), step.span()))
            .collect(),
        Shape::Enum { variants } => variants.iter().map(|v| v.ident.clone()).collect(),
    };
    if variants.is_empty() {
        return TokenStream::new();
    }
    let doc = format!(
        "The steps of [`{}`] (generated by `#[derive(StateMachine)]`).",
        input.ident
    );
    quote! {
        #[doc = #doc]
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
            ::core::fmt::Debug,
        )]
        #[repr(u8)]
        #vis enum #tag {
            #(
                #[allow(missing_docs)]
                #variants,
            )*
        }
    }
}

/// Enum machines: run the current variant's step (projected, or moved out for `by_value`),
/// then install the next state in place.
fn enum_poll_state(krate: &syn::Path, tag: &Ident, variants: &[Variant]) -> TokenStream {
    let (__cx, __tag, __slot, __state, __next, __output, __transition) = locals();
    let arms = variants.iter().map(|variant| {
        let ident = &variant.ident;
        let method = &variant.method;
        let bindings = field_bindings(&variant.fields);
        let pattern = destructure(
            quote!(Self::#ident),
            variant.style,
            &variant.fields,
            &bindings,
        );
        let call = quote_spanned!(variant.ident.span()=> Self::#method(#(#bindings,)* #__cx));
        if variant.by_value {
            return quote! {
                #tag::#ident => {
                    // SAFETY: this variant has no `#[pin]` field (the derive rejects
                    // `by_value` otherwise), so moving its data out moves nothing pinned; the
                    // slot is left `None` until the next state is installed.
                    let #__state = unsafe {
                        ::core::pin::Pin::get_unchecked_mut(::core::pin::Pin::as_mut(&mut #__slot))
                    }
                    .take();
                    let ::core::option::Option::Some(#pattern) = #__state else {
                        ::core::unreachable!()
                    };
                    #call
                }
            };
        }
        let pins = repin(&variant.fields, &bindings);
        quote! {
            #tag::#ident => {
                // SAFETY: nothing is moved out of the reference; `#[pin]` fields are re-pinned
                // right away and the other fields are never pinned.
                let ::core::option::Option::Some(#pattern) = (unsafe {
                    ::core::pin::Pin::get_unchecked_mut(::core::pin::Pin::as_mut(&mut #__slot))
                }) else {
                    ::core::unreachable!()
                };
                #pins
                #call
            }
        }
    });
    quote! {
        let mut #__slot = #__slot;
        let #__tag = match ::core::option::Option::as_ref(&*#__slot) {
            ::core::option::Option::Some(#__state) => #krate::__private::StateEnum::tag(#__state),
            ::core::option::Option::None => ::core::unreachable!(),
        };
        let #__transition: #krate::__private::Transition<Self, Self> = match #__tag {
            #(#arms)*
        };
        match #__transition {
            #krate::__private::Transition::Next(#__state) => {
                #__slot.set(::core::option::Option::Some(#__state));
                #krate::__private::Progress::Next
            }
            #krate::__private::Transition::Wait(#__state) => {
                #__slot.set(::core::option::Option::Some(#__state));
                #krate::__private::Progress::Wait
            }
            #krate::__private::Transition::Pending => {
                if ::core::option::Option::is_none(&*#__slot) {
                    #krate::__private::by_value_step_returned_pending::<Self>(#__tag)
                }
                #krate::__private::Progress::Wait
            }
            #krate::__private::Transition::Done(#__output) => {
                #krate::__private::Progress::Done(#__output)
            }
        }
    }
}

/// Struct machines: `fn project(self: Pin<&mut Self>) -> __NameProjection` (pin-project
/// style), plus the guards.
fn projection(input: &DeriveInput, model: &Model, fields: &[Field], style: Style) -> TokenStream {
    let guards = pin_guards(input, fields.iter());
    if fields.is_empty() {
        return guards;
    }
    let name = &input.ident;
    let vis = &input.vis;
    let project = &model.project;
    let projection = format_ident!("__{}Projection", name);
    let pin_lifetime = pin_lifetime();
    let params = decl_params(input);
    let args = param_args(input);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let outlives = input
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(t) => {
                let ident = &t.ident;
                Some(quote!(#ident: #pin_lifetime))
            }
            GenericParam::Lifetime(l) => {
                let lifetime = &l.lifetime;
                Some(quote!(#lifetime: #pin_lifetime))
            }
            GenericParam::Const(_) => None,
        });
    let user_predicates = where_predicates(input);
    let projection_where = quote!(where #user_predicates #(#outlives,)*);
    let bindings = field_bindings(fields);
    let types = fields.iter().map(|f| {
        let ty = &f.ty;
        if f.pinned {
            quote!(::core::pin::Pin<&#pin_lifetime mut #ty>)
        } else {
            quote!(&#pin_lifetime mut #ty)
        }
    });
    let pins = repin(fields, &bindings);
    let field_vis: Vec<_> = fields.iter().map(|f| &f.vis).collect();
    let members: Vec<_> = fields.iter().map(|f| &f.member).collect();
    let (declaration, pattern, construct) = match style {
        Style::Named => (
            quote!(#vis struct #projection<#pin_lifetime, #(#params),*> #projection_where {
                #(#field_vis #members: #types,)*
            }),
            destructure(quote!(Self), style, fields, &bindings),
            destructure(quote!(#projection), style, fields, &bindings),
        ),
        Style::Tuple => (
            quote!(#vis struct #projection<#pin_lifetime, #(#params),*>(#(#field_vis #types),*) #projection_where;),
            destructure(quote!(Self), style, fields, &bindings),
            destructure(quote!(#projection), style, fields, &bindings),
        ),
        Style::Unit => unreachable!("a unit struct has no fields"),
    };
    let doc = format!(
        "The pin projection of [`{name}`]: `&mut` to plain fields, `Pin<&mut>` to `#[pin]` fields."
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(dead_code, missing_docs, missing_debug_implementations, clippy::type_complexity)]
        #declaration

        impl #impl_generics #name #ty_generics #where_clause {
            /// Projects the pinned machine onto its fields: `Pin<&mut _>` for the `#[pin]`
            /// fields, `&mut _` for the rest (generated by `#[derive(StateMachine)]`).
            #[inline]
            #[allow(dead_code)]
            #vis fn #project<#pin_lifetime>(
                self: ::core::pin::Pin<&#pin_lifetime mut Self>,
            ) -> #projection<#pin_lifetime, #(#args),*> {
                // SAFETY: nothing is moved out of the reference; the `#[pin]` fields are
                // re-pinned right away and the others are never pinned. The guards below keep
                // this sound: the type has no `Drop` impl (which could move a pinned field) and
                // is `Unpin` only when its `#[pin]` fields are.
                let #pattern = unsafe { ::core::pin::Pin::get_unchecked_mut(self) };
                #pins
                #construct
            }
        }

        #guards
    }
}

/// `Unpin` exactly when the `#[pin]` fields are (the other fields are never pinned), and a
/// conflicting impl if the user writes `Drop` (which would get `&mut` to pinned fields).
fn pin_guards<'a>(input: &DeriveInput, fields: impl Iterator<Item = &'a Field>) -> TokenStream {
    let name = &input.ident;
    let vis = &input.vis;
    let origin = format_ident!("__{}PinnedFields", name);
    let pin_lifetime = pin_lifetime();
    let params = decl_params(input);
    let args = param_args(input);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let user_predicates = where_predicates(input);
    let pinned: Vec<&syn::Type> = fields.filter(|f| f.pinned).map(|f| &f.ty).collect();
    let pinned_names = (0..pinned.len()).map(|i| format_ident!("__pinned{}", i));
    let phantoms = input
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(t) => {
                let ident = &t.ident;
                Some(quote!(fn() -> #ident))
            }
            GenericParam::Lifetime(l) => {
                let lifetime = &l.lifetime;
                Some(quote!(&#lifetime ()))
            }
            GenericParam::Const(_) => None,
        });
    let mut unpin_generics = input.generics.clone();
    unpin_generics
        .params
        .insert(0, syn::parse_quote!(#pin_lifetime));
    let (unpin_impl_generics, _, _) = unpin_generics.split_for_impl();
    // Only a `#[pin]` field makes a `Drop` impl unsound (it would get `&mut` to pinned data).
    let drop_guard = (!pinned.is_empty()).then(|| {
        quote! {
            const _: () = {
                trait MachineWithPinFieldsMustNotImplementDrop {}
                #[allow(drop_bounds, clippy::drop_bounds)]
                impl<T: ::core::ops::Drop> MachineWithPinFieldsMustNotImplementDrop for T {}
                impl #impl_generics MachineWithPinFieldsMustNotImplementDrop
                    for #name #ty_generics #where_clause {}
            };
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, missing_docs, missing_debug_implementations, non_camel_case_types)]
        #vis struct #origin<#pin_lifetime, #(#params),*> where #user_predicates {
            __lifetime: ::core::marker::PhantomData<(&#pin_lifetime (), #(#phantoms,)*)>,
            #(#pinned_names: #pinned,)*
        }

        impl #unpin_impl_generics ::core::marker::Unpin for #name #ty_generics
        where
            #user_predicates
            #origin<#pin_lifetime, #(#args),*>: ::core::marker::Unpin,
        {
        }

        #drop_guard
    }
}

/// The type's generic parameters as declared, without defaults.
fn decl_params(input: &DeriveInput) -> Vec<TokenStream> {
    input
        .generics
        .params
        .iter()
        .map(|param| match param {
            GenericParam::Type(t) => {
                let mut t = t.clone();
                t.eq_token = None;
                t.default = None;
                quote!(#t)
            }
            GenericParam::Const(c) => {
                let mut c = c.clone();
                c.eq_token = None;
                c.default = None;
                quote!(#c)
            }
            GenericParam::Lifetime(l) => quote!(#l),
        })
        .collect()
}

/// The type's generic parameters as arguments (`'a, T, N`).
fn param_args(input: &DeriveInput) -> Vec<TokenStream> {
    input
        .generics
        .params
        .iter()
        .map(|param| match param {
            GenericParam::Type(t) => {
                let ident = &t.ident;
                quote!(#ident)
            }
            GenericParam::Const(c) => {
                let ident = &c.ident;
                quote!(#ident)
            }
            GenericParam::Lifetime(l) => {
                let lifetime = &l.lifetime;
                quote!(#lifetime)
            }
        })
        .collect()
}

/// The generated locals, with `mixed_site` hygiene: a user constant or static of the same name
/// cannot turn them into patterns or shadow them.
fn locals() -> (Ident, Ident, Ident, Ident, Ident, Ident, Ident) {
    let local = |name: &str| Ident::new(name, Span::mixed_site());
    (
        local("__cx"),
        local("__tag"),
        local("__slot"),
        local("__state"),
        local("__next"),
        local("__output"),
        local("__transition"),
    )
}

/// The projection lifetime `'__pin`.
fn pin_lifetime() -> syn::Lifetime {
    syn::Lifetime::new("'__pin", Span::call_site())
}

/// The type's where-clause predicates, each followed by a comma (nothing without a clause).
fn where_predicates(input: &DeriveInput) -> TokenStream {
    let predicates = input
        .generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates);
    quote!(#(#predicates,)*)
}

/// One mixed-site local per field: `__field0`, `__field1`, ..
fn field_bindings(fields: &[Field]) -> Vec<Ident> {
    (0..fields.len())
        .map(|i| format_ident!("__field{}", i, span = Span::mixed_site()))
        .collect()
}

/// `path { a: __field0, .. }`, `path(__field0, ..)` or `path`: a pattern binding every field,
/// or the expression building the value back from the bindings.
fn destructure(
    path: TokenStream,
    style: Style,
    fields: &[Field],
    bindings: &[Ident],
) -> TokenStream {
    match style {
        Style::Named => {
            let members = fields.iter().map(|f| &f.member);
            quote!(#path { #(#members: #bindings),* })
        }
        Style::Tuple => quote!(#path(#(#bindings),*)),
        Style::Unit => path,
    }
}

/// Re-pins the bindings of the `#[pin]` fields, after a projection through
/// `Pin::get_unchecked_mut`.
fn repin(fields: &[Field], bindings: &[Ident]) -> TokenStream {
    let pinned = fields
        .iter()
        .zip(bindings)
        .filter(|(f, _)| f.pinned)
        .map(|(_, b)| b);
    quote! {
        #(
            // SAFETY: `#[pin]` fields are structurally pinned: never moved out, dropped in
            // place (`Pin::set`, or with the machine); the guards make the machine have no
            // `Drop` impl and be `Unpin` only when they are.
            let #pinned = unsafe { ::core::pin::Pin::new_unchecked(#pinned) };
        )*
    }
}
