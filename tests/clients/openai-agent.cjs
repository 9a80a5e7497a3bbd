// SPDX-License-Identifier: LGPL-2.1-or-later
// A tiny coding agent on the official `openai` npm package, as a third-party tool would be
// written: the SDK finds the model through OPENAI_BASE_URL and OPENAI_API_KEY alone. It offers
// three tools (bash, read, edit, with OpenCode's argument names), runs the calls the model
// makes and sends the results back until the model answers without calls.
//   node openai-agent.cjs MODEL TASK
"use strict";

const { execSync } = require("child_process");
const fs = require("fs");
const OpenAI = require("openai");

const tools = [
        { name: "bash", parameters: { command: "string" } },
        { name: "read", parameters: { filePath: "string" } },
        { name: "edit", parameters: { filePath: "string", oldString: "string", newString: "string" } },
].map((t) => ({
        type: "function",
        function: {
                name: t.name,
                parameters: {
                        type: "object",
                        properties: Object.fromEntries(Object.entries(t.parameters).map(([k, v]) => [k, { type: v }])),
                        required: Object.keys(t.parameters),
                },
        },
}));

function run(name, args) {
        try {
                if (name === "bash")
                        return execSync(args.command, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
                if (name === "read")
                        return fs.readFileSync(args.filePath, "utf8");
                if (name === "edit") {
                        const text = fs.readFileSync(args.filePath, "utf8");
                        if (!text.includes(args.oldString))
                                return "oldString not found";
                        fs.writeFileSync(args.filePath, text.replace(args.oldString, args.newString));
                        return "edited";
                }
                return `unknown tool ${name}`;
        } catch (e) {
                return `failed: ${e.stdout || ""}${e.stderr || ""}${e.message}`;
        }
}

async function main() {
        const [model, task] = process.argv.slice(2);
        const client = new OpenAI();
        const messages = [{ role: "user", content: task }];

        for (let step = 1; step <= 20; step++) {
                const res = await client.chat.completions.create({ model, messages, tools });
                const msg = res.choices[0].message;
                messages.push(msg);
                if (msg.content)
                        console.log(`assistant: ${msg.content}`);
                if (!msg.tool_calls || msg.tool_calls.length === 0) {
                        console.log(`openai-agent: done after ${step} steps`);
                        return;
                }
                for (const call of msg.tool_calls) {
                        const out = run(call.function.name, JSON.parse(call.function.arguments || "{}"));
                        console.log(`tool ${call.function.name}: ${out.trim().split("\n").pop()}`);
                        messages.push({ role: "tool", tool_call_id: call.id, content: out });
                }
        }
        throw new Error("too many steps");
}

main().catch((e) => {
        console.error(`openai-agent: ${e.message}`);
        process.exit(1);
});
