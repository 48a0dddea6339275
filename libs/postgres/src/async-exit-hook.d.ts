/** The one function this project uses of async-exit-hook (the package ships no types). */
declare module 'async-exit-hook' {
  const exitHook: { unhookEvent(event: string): void };
  export default exitHook;
}
