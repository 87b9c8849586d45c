//! `#[task]`: parse, validate and lower, generate.

mod args;
mod generate;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                "`#[task]` goes on a plain `fn`, which then returns a nameable future",
            )
            .to_compile_error();
            return quote::quote! { #error #item };
        }
    };
    let mut errors = args::Errors::default();
    let config = args::parse(args, &mut errors);
    let lowered = args::lower(&config, &function, &mut errors);
    match errors.into_result() {
        Ok(()) => generate::task(&config, &lowered, function),
        Err(errors) => {
            let errors = errors.to_compile_error();
            quote::quote! {
                #errors
                #[allow(dead_code, unused_variables)]
                #function
            }
        }
    }
}
