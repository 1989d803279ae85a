/** The inventory's JSON Schema, derived from the same zod schema the validator uses. */
import { z } from "zod";
import { inventorySchema } from "./schema.js";

export function inventoryJsonSchema(): string {
  const schema = z.toJSONSchema(inventorySchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  schema["$id"] = "https://laggboot.invalid/schema/laggboot.schema.json";
  return JSON.stringify(schema, null, 2) + "\n";
}
