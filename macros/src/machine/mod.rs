//! `#[derive(StateMachine)]`, one module per phase: [`parse`] reads the item into a plain
//! model of what was written, [`validate`] checks it and collects every error in one pass,
//! [`lower`] turns it into the model [`generate`] expands (steps, fields with their `#[pin]`
//! flag, generated names).
//!
//! Lowering runs even on invalid input. On error the output is the errors plus the step-tag
//! enum and a bare `StateMachine` impl, so the user's step methods, which name both, still
//! type-check and the user sees only the derive's own errors.

mod generate;
mod lower;
mod parse;
mod projection;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let parsed = parse::parse(&input);
    let mut errors = Errors::default();
    validate::validate(&parsed, &mut errors);
    let model = lower::lower(&parsed);
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
