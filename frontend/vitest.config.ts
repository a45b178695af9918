// Vitest config: unit tests under src/, JUnit XML to $JUNIT_OUT (default test-results/vitest.xml) with `npm run test:junit`.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// A zone far from UTC, so a naive backend timestamp read as local time (a bug) fails the tests.
process.env.TZ = "Asia/Shanghai";

export default defineConfig({
  plugins: [react()],
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "node",
    watch: false,
    outputFile: { junit: process.env.JUNIT_OUT || "test-results/vitest.xml" },
  },
});
