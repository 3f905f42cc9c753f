import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

// Tauri serves `dist/` through its custom protocol; the dev server is only for `tauri dev`.
export default defineConfig({
  plugins: [preact()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
  },
});
