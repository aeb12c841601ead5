"""`field__any=[…]`: membership in a long list as one array parameter on PostgreSQL.

`field__in` writes one placeholder per value; with thousands of ids (a usage export's page)
psycopg spends more time splitting that query text than PostgreSQL spends answering it.
`= ANY(%s)` sends the list as one array. Elsewhere (SQLite in `make run`) it is a plain IN.
Registered for every field in TokensConfig.ready.
"""

from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_prep_value(value) for value in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
