//! Code generation for the entry-point macros.

use proc_macro2::TokenStream;
use quote::quote;

use super::args::{Config, Flavor, Kind};

pub(crate) fn entry(kind: Kind, config: &Config, function: syn::ItemFn) -> TokenStream {
    let syn::ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let krate = &config.crate_path;
    let flavor = match config.flavor {
        Flavor::MultiThread => quote!(#krate::__private::EntryFlavor::MultiThread),
        Flavor::CurrentThread => quote!(#krate::__private::EntryFlavor::CurrentThread),
    };
    let workers = match config.worker_threads {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let start_paused = config.start_paused;
    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => quote!(),
    };
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            let body = async move #block;
            #krate::__private::entry_runtime(#flavor, #workers, #start_paused).block_on(body)
        }
    }
}

/// The errors, plus the user's function kept as an unused item (so IDEs still analyse its
/// body) in a shape that draws no further errors from rustc: a `main` is wrapped in a plain
/// `fn main`, and a stray `#[test]` is dropped.
pub(crate) fn with_errors(
    kind: Kind,
    errors: syn::Error,
    mut function: syn::ItemFn,
) -> TokenStream {
    let errors = errors.to_compile_error();
    function.attrs.retain(|attr| !attr.path().is_ident("test"));
    if kind == Kind::Main && function.sig.ident == "main" {
        quote! {
            #errors
            fn main() {
                #[allow(dead_code, unused_variables)]
                #function
            }
        }
    } else {
        quote! {
            #errors
            #[allow(dead_code, unused_variables)]
            #function
        }
    }
}
