//! Code generation for `#[derive(StateMachine)]`: the step-tag enum and the `StateMachine` and
//! `IntoFuture` impls, which poll through the pin projection generated in `projection`.
//! Unsafe code here is limited to the enum form's dispatch: one `get_unchecked_mut` per
//! step, to move a `by_value` variant's data out (it has no `#[pin]` field) or to re-pin a
//! variant's `#[pin]` fields; never around a user call.
//!
//! Names the user cannot see are prefixed `__` and derived from the machine's name; every path
//! is absolute (`::core::..`, or the runtime through `crate = ".."` into its `__private`
//! module).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::DeriveInput;

use super::lower::{upper_camel, Model, Shape, Variant};
use super::projection::{destructure, field_bindings, pin_guards, projection, repin};

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
            const STEP_NAMES: &'static [&'static ::core::primitive::str] = &[#(#names),*];

            #[inline]
            fn tag_index(#__tag: #tag) -> ::core::primitive::usize {
                #__tag as ::core::primitive::usize
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
            const STEP_NAMES: &'static [&'static ::core::primitive::str] = &[];

            fn tag_index(_: #tag) -> ::core::primitive::usize {
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
