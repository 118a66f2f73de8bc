// Loading, error and empty states, the same on every page.

export function Loading() {
  return (
    <p className="status" role="status">
      Loading…
    </p>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  return (
    <p className="status error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="status empty">{children}</p>;
}
