/**
 * Live regions: always in the page (a region added together with its text is not announced by
 * every screen reader), empty when there is nothing to say.
 */
export function ErrorMessage({ id, message }: { id: string; message: string | null }) {
  return (
    <div id={id} className="error" role="alert" aria-atomic="true">
      {message}
    </div>
  );
}

export function StatusMessage({ id, message }: { id: string; message: string | null }) {
  return (
    <div id={id} className="status" role="status" aria-live="polite" aria-atomic="true">
      {message}
    </div>
  );
}
