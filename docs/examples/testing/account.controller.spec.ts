// account.controller.spec.ts
import { jest } from '@jest/globals';
import { UnauthorizedException } from '@nestjs/common';
import type { Segment } from 'nest-aura-session';
import { AccountController, type Account } from './account.module.js';

describe('AccountController.me', () => {
  const controller = new AccountController();

  it('answers 401 when no user is signed in, and leaves the flash message unread', async () => {
    const account = { get: jest.fn(async () => undefined) };
    const flash = { getFlash: jest.fn(async () => null) };
    await expect(
      controller.me(account as unknown as Segment<Account>, flash as unknown as Segment),
    ).rejects.toThrow(UnauthorizedException);
    expect(flash.getFlash).not.toHaveBeenCalled();
  });

  it('answers with the user and the flash message', async () => {
    const account = { get: jest.fn(async () => 'ada') };
    const flash = { getFlash: jest.fn(async () => 'Welcome, ada') };
    await expect(
      controller.me(account as unknown as Segment<Account>, flash as unknown as Segment),
    ).resolves.toEqual({ user: 'ada', notice: 'Welcome, ada' });
    expect(account.get).toHaveBeenCalledWith('user');
    expect(flash.getFlash).toHaveBeenCalledWith('notice', null);
  });
});
