//! The `embed_migrations!` macro. Use it through the `migraph` crate, which documents
//! it; this crate only turns a directory checked by `migrations-core` into tokens.

use std::path::PathBuf;

use migraph_core::{DiagnosticKind, Directory, LoadOptions, Migration};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// Embeds and checks a migrations directory at compile time. See the `migraph` crate.
#[proc_macro]
pub fn embed_migrations(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    syn::parse::<Input>(input)
        .and_then(|input| expand(&input))
        .unwrap_or_else(|error| {
            // Every problem as its own `compile_error!`, inside an expression of the right
            // type so that rustc reports nothing else.
            let errors = error.into_compile_error();
            quote! {{
                #errors
                ::migraph::__private::Migrations::from_static(&[], "", "", false)
            }}
        })
        .into()
}

/// `"path"` with the options `, allow_multiple_heads`, `, database = sqlx::Postgres`,
/// `, dialect = postgres` and `, lint = [online]`.
struct Input {
    path: LitStr,
    allow_multiple_heads: bool,
    /// The sqlx database type the revisions written in Rust run on.
    database: Option<syn::Path>,
    /// The dialect whose SQL is linted.
    dialect: Option<Ident>,
    /// Opt-in lint rules (or `online`).
    lint: Vec<Ident>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = if input.is_empty() {
            LitStr::new("./migrations", Span::call_site())
        } else {
            input.parse()?
        };
        let mut allow_multiple_heads = false;
        let mut database = None;
        let mut dialect = None;
        let mut lint = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let option: Ident = input.parse()?;
            if option == "allow_multiple_heads" {
                allow_multiple_heads = true;
            } else if option == "database" {
                input.parse::<Token![=]>()?;
                database = Some(input.parse::<syn::Path>()?);
            } else if option == "dialect" {
                input.parse::<Token![=]>()?;
                dialect = Some(input.parse::<Ident>()?);
            } else if option == "lint" {
                input.parse::<Token![=]>()?;
                let rules;
                syn::bracketed!(rules in input);
                lint.extend(rules.parse_terminated(Ident::parse, Token![,])?);
            } else {
                return Err(syn::Error::new(
                    option.span(),
                    format!(
                        "unknown option `{option}`; the options are `allow_multiple_heads`, `database = sqlx::Postgres` (or MySql, Sqlite), `dialect = postgres` (or mysql, sqlite) and `lint = [online]`"
                    ),
                ));
            }
        }
        Ok(Self {
            path,
            allow_multiple_heads,
            database,
            dialect,
            lint,
        })
    }
}

fn expand(input: &Input) -> syn::Result<TokenStream> {
    let span = input.path.span();
    let written = input.path.value();
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| syn::Error::new(span, "CARGO_MANIFEST_DIR is not set; build with cargo"))?;
    let dir = root.join(&written);
    let options = if input.allow_multiple_heads {
        LoadOptions::multiple_heads()
    } else {
        LoadOptions::default()
    };
    let loaded = Directory::load(&dir, &written, options).map_err(|problems| {
        problems
            .iter()
            .map(|d| {
                let mut d = d.clone();
                if d.kind == DiagnosticKind::FolderNotFound {
                    d = d.with_help("the path is relative to the folder of the crate's Cargo.toml; create the folder or fix the path");
                }
                syn::Error::new(span, d.to_string())
            })
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .unwrap_or_else(|| syn::Error::new(span, "invalid migrations directory"))
    })?;

    // Every file, squashed revisions' too: a database part-way through a squashed run
    // finishes it with them. The runtime splits them off again as the core did here.
    let all = loaded.every_file();
    let config = lint_directory(input, &root, &all)?;

    // The files' text as the compiler includes them (which also rebuilds the crate when
    // one changes), and where each field of each revision is in them.
    let mut texts = Vec::with_capacity(all.len());
    for f in &all {
        let text = std::fs::read_to_string(&f.path)
            .map_err(|e| syn::Error::new(span, format!("cannot read {}: {e}", f.display)))?;
        texts.push(text);
    }
    let pairs: Vec<(&str, &Migration)> = texts
        .iter()
        .zip(&all)
        .map(|(text, f)| (text.as_str(), &f.migration))
        .collect();
    let single_head = loaded.graph.heads().len() == 1;
    let migraph_core::embedded::Encoded { table, extra } =
        migraph_core::embedded::encode(&pairs, single_head);
    let table = syn::LitByteStr::new(&table, span);
    let paths = all.iter().map(|f| f.path.to_string_lossy().into_owned());
    let source_dir = dir.to_string_lossy().into_owned();
    let rust = rust_revisions(input, &all)?;
    // Read for the lint settings: a change to it rebuilds the crate.
    let config = config.map(|path| {
        let path = path.to_string_lossy().into_owned();
        quote! { const _: &[u8] = ::core::include_bytes!(#path); }
    });
    Ok(quote! {{
        #config
        static TEXT: &str = ::core::concat!(#(::core::include_str!(#paths)),*);
        #rust
        ::migraph::__private::Migrations::from_table(
            TEXT,
            #table,
            #extra,
            &RUST,
            #source_dir,
            #written,
            cfg!(debug_assertions),
        )
    }})
}

/// Lints the SQL of `files` when a dialect is named, by the macro or by the `[lint]` table
/// of the crate's `migraph.toml`; each finding is a compile error. Returns the
/// configuration file when it was read.
fn lint_directory(
    input: &Input,
    root: &std::path::Path,
    files: &[migraph_core::SourceFile],
) -> syn::Result<Option<PathBuf>> {
    use migraph_core::lint::{LintOptions, lint};
    let span = input.path.span();
    let path = root.join("migraph.toml");
    let (config, config_path) = if path.is_file() {
        (lint_config(&path, span)?, Some(path))
    } else {
        (None, None)
    };
    let (config_dialect, config_rules) = config.unwrap_or_default();
    let dialect = match &input.dialect {
        Some(ident) => {
            let name = ident.to_string();
            Some(migraph_core::Dialect::from_name(&name).ok_or_else(|| {
                syn::Error::new(
                    ident.span(),
                    format!("unknown dialect `{name}`; use postgres, mysql or sqlite"),
                )
            })?)
        }
        None => config_dialect,
    };
    let Some(dialect) = dialect else {
        if let Some(rule) = input.lint.first() {
            return Err(syn::Error::new(
                rule.span(),
                "lint rules need the dialect they check: add `dialect = postgres` (or mysql, sqlite)",
            ));
        }
        return Ok(config_path);
    };
    let mut options = LintOptions::new(dialect);
    for name in &config_rules {
        options = options.enable(name).map_err(|e| {
            syn::Error::new(span, format!("{e} (in the [lint] table of migraph.toml)"))
        })?;
    }
    for rule in &input.lint {
        options = options
            .enable(&rule.to_string())
            .map_err(|e| syn::Error::new(rule.span(), e))?;
    }
    lint(files, &options)
        .into_iter()
        .map(|finding| syn::Error::new(span, finding.diagnostic.to_string()))
        .reduce(|mut all, e| {
            all.combine(e);
            all
        })
        .map_or(Ok(config_path), Err)
}

/// The `[lint]` table of `migraph.toml`: its `dialect` and `rules`.
fn lint_config(
    path: &std::path::Path,
    span: Span,
) -> syn::Result<Option<(Option<migraph_core::Dialect>, Vec<String>)>> {
    let bad = |what: String| syn::Error::new(span, format!("{}: {what}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let Some(lint) = table.get("lint") else {
        return Ok(None);
    };
    let lint = lint
        .as_table()
        .ok_or_else(|| bad("`lint` must be a table: [lint]".to_owned()))?;
    let dialect = match lint.get("dialect") {
        None => None,
        Some(value) => {
            let name = value.as_str().unwrap_or("");
            Some(migraph_core::Dialect::from_name(name).ok_or_else(|| {
                bad(format!(
                    "[lint] dialect must be \"postgres\", \"mysql\" or \"sqlite\", not `{name}`"
                ))
            })?)
        }
    };
    let rules = match lint.get("rules") {
        None => Vec::new(),
        Some(value) => value
            .as_array()
            .and_then(|rules| {
                rules
                    .iter()
                    .map(|r| r.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                bad("[lint] rules must be a list of names, e.g. [\"online\"]".to_owned())
            })?,
    };
    Ok(Some((dialect, rules)))
}

/// The revisions written in Rust: each file a module, a function that boxes the future of
/// each of its `upgrade` and `downgrade`, and `static RUST`, the list the runner reads.
fn rust_revisions(input: &Input, files: &[migraph_core::SourceFile]) -> syn::Result<TokenStream> {
    let span = input.path.span();
    let rust: Vec<&migraph_core::SourceFile> =
        files.iter().filter(|f| f.migration.is_rust()).collect();
    let Some(db) = &input.database else {
        if let Some(first) = rust.first() {
            return Err(syn::Error::new(
                span,
                format!(
                    "{} is a revision written in Rust: name the database it runs on, e.g. `embed_migrations!(\"{}\", database = sqlx::Postgres)` (or sqlx::MySql, sqlx::Sqlite)",
                    first.display,
                    input.path.value()
                ),
            ));
        }
        return Ok(quote! { static RUST: [::migraph::__private::RustRevision; 0] = []; });
    };
    let mut items = Vec::new();
    let mut entries = Vec::new();
    for (k, f) in rust.iter().enumerate() {
        let path = f.path.to_string_lossy().into_owned();
        let module = quote::format_ident!("__migraph_rust_{}", k);
        let up = quote::format_ident!("__migraph_upgrade_{}", k);
        let down = quote::format_ident!("__migraph_downgrade_{}", k);
        let code = quote::format_ident!("__MIGRAPH_CODE_{}", k);
        let revision = f.migration.revision();
        let conn = quote! { <#db as ::migraph::__private::sqlx::Database>::Connection };
        let glue = |function: &Ident, name: &str| {
            let target = quote::format_ident!("{}", name);
            quote! {
                fn #function<'c>(conn: &'c mut #conn) -> ::migraph::__private::BoxFuture<'c> {
                    ::std::boxed::Box::pin(async move {
                        #module::#target(conn).await.map_err(::std::convert::Into::into)
                    })
                }
            }
        };
        let up_fn = glue(&up, "upgrade");
        let (down_fn, down_value) = if f.migration.downgrade_sql().is_some() {
            (
                glue(&down, "downgrade"),
                quote! { ::core::option::Option::Some(#down) },
            )
        } else {
            (quote! {}, quote! { ::core::option::Option::None })
        };
        items.push(quote! {
            // The file's `pub` functions are reached through the functions below only.
            #[allow(unreachable_pub)]
            #[path = #path]
            mod #module;
            #up_fn
            #down_fn
            static #code: ::migraph::__private::RustCode<#db> = ::migraph::__private::RustCode {
                upgrade: #up,
                downgrade: #down_value,
            };
        });
        entries.push(quote! {
            ::migraph::__private::RustRevision { revision: #revision, code: &#code }
        });
    }
    let n = entries.len();
    Ok(quote! {
        #(#items)*
        static RUST: [::migraph::__private::RustRevision; #n] = [#(#entries),*];
    })
}
