// Runs an async load whenever its key changes, tracking loading and errors.
import { useEffect, useState } from "react";

export type Load<T> =
  | { state: "loading" }
  | { state: "error"; error: unknown }
  | { state: "done"; value: T };

export function useLoad<T>(key: string, load: () => Promise<T>): Load<T> {
  const [result, setResult] = useState<Load<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    setResult({ state: "loading" });
    load().then(
      (value) => current && setResult({ state: "done", value }),
      (error: unknown) => current && setResult({ state: "error", error }),
    );
    return () => {
      current = false;
    };
    // The key says when to load again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return result;
}
