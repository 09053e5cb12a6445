/** A step could not complete; the message says where the operation stopped and which command continues it. */
export class StepFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailed';
  }
}
