import { gzipSync } from "node:zlib";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vitest/config";

// The build goes straight into the Python package, which serves it at `/` (surgiai/web).
const outDir = "../surgiai/web/static";
const backend = process.env.SURGIAI_DEV_BACKEND ?? "http://127.0.0.1:8000";

/** Writes `name.gz` beside every text asset, which the server sends to gzip-capable clients. */
function precompress(): Plugin {
  const compressible = /\.(js|css|html|svg|json)$/;
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return {
    name: "surgiai-precompress",
    apply: "build",
    closeBundle() {
      for (const file of walk(outDir)) {
        if (compressible.test(file) && statSync(file).size > 1024) {
          writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
        }
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/api": { target: backend, ws: true },
      "/simulator": { target: backend },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
    unstubGlobals: true,
    // One shared jsdom per worker thread: three times faster here, and each test cleans up
    // after itself (setup.ts) so files cannot leak into each other.
    pool: "threads",
    isolate: false,
  },
});
