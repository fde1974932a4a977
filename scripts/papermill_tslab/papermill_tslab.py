"""papermill's translator for the lab's TypeScript notebooks (tslab kernel, language "typescript").

Each notebook's cell tagged "parameters" is `const params = labParams({...defaults})`. papermill inserts the cell this
translator writes right after it; that cell passes the given values through labParams again, with the defaults now
being `params` itself, so they are checked and converted exactly as `npm run reproduce -- --epochs 10` checks them
(same types as the defaults; numbers given as strings converted), and applied to `params` in place. A name the notebook
has no parameter for is an error naming the notebook's parameters, not a silent no-op.
"""
import json

from papermill.engines import NBClientEngine
from papermill.translators import Translator, papermill_translators

PARAMS_ENV = "MOVIELENS_LAB_PARAMS"


class TypeScriptTranslator(Translator):
    """Writes papermill's injected-parameters cell for a notebook whose parameters cell defines `params` with labParams."""

    @classmethod
    def translate_escaped_str(cls, str_val):
        return json.dumps(str_val)

    @classmethod
    def translate_none(cls, val):
        return "null"

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_dict(cls, val):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {cls.translate(v)}" for k, v in val.items()) + "}"

    @classmethod
    def translate_list(cls, val):
        return "[" + ", ".join(cls.translate(v) for v in val) + "]"

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"const {name} = {str_val};"

    @classmethod
    def codify(cls, parameters, comment="Parameters"):
        given = json.dumps(parameters, sort_keys=True)
        lines = [
            cls.comment(comment),
            f"const papermillParameters: Record<string, unknown> = {given};",
            "for (const name of Object.keys(papermillParameters)) {",
            "  if (!(name in params)) {",
            "    throw new Error(`papermill: this notebook has no parameter \"${name}\"; its parameters are ${Object.keys(params).join(\", \")}`);",
            "  }",
            "}",
            f"Object.assign(params, labParams(params, {{ {PARAMS_ENV}: JSON.stringify(papermillParameters) }}));",
        ]
        return "\n".join(lines) + "\n"


class TslabEngine(NBClientEngine):
    """papermill's default engine under our entry point; importing this module registers the TypeScript translator."""


papermill_translators.register("typescript", TypeScriptTranslator)
