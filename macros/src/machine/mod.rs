//! `#[derive(StateMachine)]`: parse and validate ([`parse`]), then generate ([`generate`]).
//!
//! The input is lowered into a small model (steps, fields with their `#[pin]` flag, the keys of
//! `#[machine(..)]`) while every error is collected. On error the output is the errors plus the
//! step-tag enum and a bare `StateMachine` impl, so the user's step methods, which name both,
//! still type-check and the user sees only the derive's own errors.

mod generate;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let model = parse::parse(&input, &mut errors);
    match errors.into_result() {
        Ok(()) => generate::machine(&input, &model),
        Err(errors) => {
            let errors = errors.to_compile_error();
            let fallback = generate::fallback(&input, &model);
            quote::quote! {
                #errors
                #fallback
            }
        }
    }
}
