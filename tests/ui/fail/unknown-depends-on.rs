static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/unknown-depends-on");

fn main() {}
