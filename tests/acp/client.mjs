// A real ACP client, the official TypeScript SDK's (`@agentclientprotocol/sdk`, installed by
// .ci/run under target/npm), driving `agent acp` as an editor would: initialize, a new session,
// a prompt that streams text, one whose calls are asked through session/request_permission
// (the write approved once, the shell command refused); in a second process, session/load; in
// a third, with the agent `goalbot`, a /goal that ends met and a running command cancelled.
// Prints one JSON object with what it saw; tests/acp.rs checks it.
// Usage: node client.mjs SDK_FOLDER WORKSPACE (AGENT_BIN names the binary).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pathToFileURL } from "node:url";

const [sdk, cwd] = process.argv.slice(2);
const acp = await import(pathToFileURL(join(sdk, "dist/v1/stable/acp.js")).href);
const { methods } = acp;

async function withAgent(work, agentName = "bot") {
  const child = spawn(
    process.env.AGENT_BIN,
    ["acp", "--agent", agentName, "--model", "openai/scripted"],
    { cwd, stdio: ["pipe", "pipe", "inherit"] },
  );
  const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
  const seen = { updates: [], asked: [] };
  const app = acp
    .client({ name: "agent-tests" })
    .onNotification(methods.client.session.update, (ctx) => {
      seen.updates.push(ctx.params.update);
    })
    .onRequest(methods.client.session.requestPermission, (ctx) => {
      seen.asked.push(ctx.params);
      const optionId = ctx.params.toolCall.rawInput?.path === "a.txt" ? "once" : "refuse";
      return { outcome: { outcome: "selected", optionId } };
    });
  const result = await app.connectWith(stream, (agent) => work(agent, seen));
  child.stdin.end();
  const [code] = await once(child, "exit");
  return { ...result, exitCode: code };
}

const text = (updates, kind) =>
  updates
    .filter((u) => u.sessionUpdate === kind)
    .map((u) => u.content.text)
    .join("");

// Initializes and opens a new session; its id, the protocol version, and a
// function that sends one prompt to it.
async function openSession(agent) {
  const init = await agent.request(methods.agent.initialize, {
    protocolVersion: acp.PROTOCOL_VERSION,
    clientCapabilities: {},
  });
  const { sessionId } = await agent.request(methods.agent.session.new, { cwd, mcpServers: [] });
  const prompt = (words) =>
    agent.request(methods.agent.session.prompt, {
      sessionId,
      prompt: [{ type: "text", text: words }],
    });
  return { protocolVersion: init.protocolVersion, sessionId, prompt };
}

const first = await withAgent(async (agent, seen) => {
  const { protocolVersion, sessionId, prompt } = await openSession(agent);
  const hello = await prompt("say hello");
  const helloText = text(seen.updates, "agent_message_chunk");
  const files = await prompt("make the files");
  return {
    protocolVersion,
    sessionId,
    hello: { stopReason: hello.stopReason, text: helloText },
    files: { stopReason: files.stopReason },
    asked: seen.asked.map((a) => ({
      title: a.toolCall.title,
      options: a.options.map((o) => o.optionId),
    })),
    toolCalls: seen.updates
      .filter((u) => u.sessionUpdate === "tool_call")
      .map((u) => ({ id: u.toolCallId, status: u.status, decision: u._meta?.agent?.decision })),
  };
});

const second = await withAgent(async (agent, seen) => {
  await agent.request(methods.agent.initialize, {
    protocolVersion: acp.PROTOCOL_VERSION,
    clientCapabilities: {},
  });
  await agent.request(methods.agent.session.load, {
    sessionId: first.sessionId,
    cwd,
    mcpServers: [],
  });
  return { replayed: text(seen.updates, "user_message_chunk") };
});

const third = await withAgent(async (agent, seen) => {
  const { sessionId, prompt } = await openSession(agent);
  const goal = await prompt("/goal --max 2 --check 'test -f done.txt' create done.txt");
  const waiting = prompt("wait for it");
  const started = Date.now();
  const running = () =>
    seen.updates.some((u) => u.sessionUpdate === "tool_call" && u.rawInput?.command === "sleep 30");
  while (!running() && Date.now() - started < 20000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await agent.notify(methods.agent.session.cancel, { sessionId });
  const cancelled = await waiting;
  return {
    goal: { stopReason: goal.stopReason, status: goal._meta?.agent?.goal?.status },
    cancel: { stopReason: cancelled.stopReason },
  };
}, "goalbot");

console.log(JSON.stringify({ first, second, third }));
