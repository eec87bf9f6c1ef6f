import { describe, expect, it } from 'vitest';
import { custkit, tempDb } from '../helpers/cli.js';

describe('the custkit command', () => {
  it('prints help with examples and exits 0', () => {
    const help = custkit(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(custkit(['--help']).stdout).toMatch(/import \[options\] <files\.\.\.>/);
  });

  it('exits 2 on an unknown command or a missing argument, saying why', () => {
    const unknown = custkit(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(custkit(['import']).code).toBe(2);
  });

  it('prints no colour codes when not on a terminal', () => {
    const result = custkit(['db', 'info'], { db: tempDb(), env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(result.stderr + result.stdout).not.toMatch(/\x1b\[/);
  });
});
