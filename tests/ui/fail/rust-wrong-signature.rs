static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/ui/rust-wrong-signature", database = sqlx::Sqlite);

fn main() {}
