// The sentences a view shows above its content: each error as an alert (read out at once), then
// what just succeeded as a status. Nothing is rendered for an empty one.
export function Notices({ errors, done }: { errors: ReadonlyArray<string | null | undefined>; done?: string | null }) {
  return (
    <>
      {errors.map(
        (error, index) =>
          error && (
            <p key={`error-${index}`} role="alert" class="error">
              {error}
            </p>
          ),
      )}
      {done && (
        <p role="status" class="done">
          {done}
        </p>
      )}
    </>
  );
}
