/*
 * Given/when/then for deciders: `given(pastEvents).when(command).then(newEvents)` or `.thenThrows(ErrorClass, partial)`.
 * Test-only (uses jest's global `expect`), so index.ts does not export it.
 */

export interface Decider<Command, Event, State> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

export const deciderSpec =
  <Command, Event, State>(decider: Decider<Command, Event, State>) =>
  (given: Event[] = []) => ({
    when: (command: Command) => {
      const run = (): Event[] => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: Event[]): void => {
          expect(run()).toEqual(expected);
        },
        thenNothingHappens: (): void => {
          expect(run()).toEqual([]);
        },
        thenThrows: <E extends Error>(errorClass: ErrorClass<E>, partial?: Partial<E>): void => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(errorClass);
          if (partial) expect(thrown).toMatchObject(partial);
        },
      };
    },
  });
