/** Writes docs/laggboot.schema.json from src/config/schema.ts (npm run schema). */
import { writeFileSync } from "node:fs";
import { inventoryJsonSchema } from "../src/config/json-schema.js";

writeFileSync("docs/laggboot.schema.json", inventoryJsonSchema());
process.stdout.write("wrote docs/laggboot.schema.json\n");
